export * from './errors.js';
export * from './output.js';
export * from './pattern-player.js';
export * from './patterns.js';
export * from './reader.js';
export * from './sim/recording-output.js';
export * from './sim/simulated-reader.js';
