import { z } from 'zod';
import { SiteIdSchema, TerminalIdSchema } from '../ids.js';
import { WallTimeSchema } from '../time.js';
import { VersionField } from './common.js';

/**
 * The hardware profiles a terminal can be built as: the files of hardware/profiles/ (a test
 * keeps the two in step). `simulated` is for demos and tests, never a gate.
 */
export const HARDWARE_PROFILES = [
  'pi-pn532-uart',
  'pi-pn532-qr',
  'pi-rc522-spi',
  'pi-rc522-spidev',
  'pi-firmata',
  'simulated',
] as const;
export type HardwareProfileName = (typeof HARDWARE_PROFILES)[number];
/**
 * Profiles whose terminals read the 建キャリ QR code: their rosters also carry the site's
 * workers who have no card (tech `qr`). Only these get such entries, which a terminal from
 * before QR codes would refuse with the whole roster.
 */
export const QR_HARDWARE_PROFILES: readonly HardwareProfileName[] = ['pi-pn532-qr', 'simulated'];

/**
 * What the server hands a technician for one terminal (POST /fleet/terminals/{id}/provisioning)
 * and `ccus-gate-terminal provision` applies: the terminal's identity, fresh credentials and
 * where to connect. The password appears here only; the server keeps a hash.
 */
export const ProvisioningBundleSchema = z.strictObject({
  v: VersionField,
  kind: z.literal('ccus-gate-provisioning', {
    error: 'must be "ccus-gate-provisioning": this is not a provisioning bundle',
  }),
  terminalId: TerminalIdSchema,
  password: z.string().min(16, 'must be the password the server issued').max(200),
  broker: z.strictObject({
    url: z.string().regex(/^mqtts?:\/\/[^/\s]+(:\d+)?\/?$/, 'must be mqtt://host:port or mqtts://host:port'),
    caCert: z.string().includes('BEGIN CERTIFICATE', { error: 'must be a PEM certificate' }).optional(),
  }),
  siteId: SiteIdSchema.nullable(),
  /** A profile name from hardware/profiles/ (e.g. pi-pn532-uart), or null to keep the terminal's. */
  hardwareProfile: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, 'must be a hardware profile name')
    .nullable(),
  issuedAt: WallTimeSchema,
  /** The operator's Ed25519 public key (PEM): the terminal installs only releases it signed. */
  releaseKey: z.string().includes('BEGIN PUBLIC KEY', { error: 'must be a PEM public key' }).optional(),
});
export type ProvisioningBundle = z.infer<typeof ProvisioningBundleSchema>;
