/**
 * Bounds that keep a hostile archive from exhausting memory, disk or time. The defaults
 * admit every real Moodle backup we know of (the largest seen in the wild are a few GB
 * with compression ratios under 20:1) while refusing bombs early.
 */
export interface ArchiveLimits {
  /** Total uncompressed bytes of all members. */
  readonly maxUncompressedBytes: number;
  /**
   * Highest uncompressed/compressed ratio accepted, for the whole archive and for any
   * single member, once more than `ratioGraceBytes` have been inflated.
   */
  readonly maxCompressionRatio: number;
  readonly ratioGraceBytes: number;
  /** Largest XML member that will be parsed. */
  readonly maxXmlMemberBytes: number;
  /** Most members an archive may hold. */
  readonly maxMembers: number;
}

export const DEFAULT_LIMITS: ArchiveLimits = {
  maxUncompressedBytes: 32 * 1024 ** 3,
  maxCompressionRatio: 200,
  ratioGraceBytes: 64 * 1024 ** 2,
  maxXmlMemberBytes: 1024 ** 3,
  maxMembers: 1_000_000,
};

export function resolveLimits(overrides: Partial<ArchiveLimits> | undefined): ArchiveLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
