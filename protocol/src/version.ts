/** The schema version this code speaks. Every message carries it as `v`. */
export const SCHEMA_VERSION = 1 as const;
export const SUPPORTED_VERSIONS: readonly number[] = [SCHEMA_VERSION];
