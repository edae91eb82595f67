// The shape of a replication request, checked with zod. Field-level problems become
// `InvalidRequest` errors whose message names the field and what is allowed.
import { z } from "zod";
import { DomainError } from "./errors.js";

export const MAX_NAME_LENGTH = 60;
export const MAX_USER_TAGS = 40;
/** More destinations than any cloud has regions: a bound on the work one request can ask for. */
export const MAX_DESTINATIONS = 64;

/**
 * Letters, digits, punctuation and spaces: no control characters (C0, DEL, C1), no invisible
 * formatting ones (bidi overrides and isolates, zero-width ones, the BOM) and no line or paragraph
 * separators, which a terminal or a page would obey. Written without the `u` flag so that the
 * OpenAPI document carries it as a plain ECMA-262 pattern.
 */
export const PRINTABLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is there to refuse them.
  /^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]*$/;
export const PRINTABLE_MESSAGE = "must hold printable characters only (no control characters)";

/** Tag keys snaprelay writes on every copy; callers may not set them. */
export const RESERVED_TAG_PREFIXES = ["aws:", "snaprelay:"] as const;

// snap- and at most 17 characters (EC2's longest ids), and regions of at most 20 characters: so
// the default name `Copied <id> from <region>` always fits in MAX_NAME_LENGTH.
export const SnapshotIdSchema = z
  .string()
  .regex(
    /^snap-[0-9a-z]{4,17}$/,
    "must look like snap-0123abcd (snap- then 4 to 17 lowercase letters or digits)",
  );

// Only the shape here: whether a region is supported is a rule (UnsupportedRegion), which names
// the allowed list.
export const RegionSchema = z
  .string()
  .max(20, "must be a region name of at most 20 characters")
  .regex(
    /^[a-z][a-z0-9]*(-[a-z0-9]+){1,4}$/,
    "must be a region name such as ap-shanghai or us-east-1",
  );

const isReservedTagKey = (key: string): boolean =>
  key === "Name" || RESERVED_TAG_PREFIXES.some((prefix) => key.toLowerCase().startsWith(prefix));

const TagsSchema = z
  .record(z.string().min(1).max(128), z.string().max(256))
  .superRefine((tags, context) => {
    for (const key of Object.keys(tags).filter(isReservedTagKey)) {
      context.addIssue({
        code: "custom",
        path: [key],
        message: `is reserved: a tag key may not be Name (set the name field instead) or start with ${RESERVED_TAG_PREFIXES.join(" or ")}`,
      });
    }
  })
  .refine((tags) => Object.keys(tags).length <= MAX_USER_TAGS, `at most ${MAX_USER_TAGS} tags`);

export const ReplicationRequestSchema = z.strictObject({
  snapshotId: SnapshotIdSchema,
  sourceRegion: RegionSchema,
  // An empty or missing list is rule 3's to refuse (InvalidDestination), with the rule's words.
  destinationRegions: z
    .array(RegionSchema)
    .max(MAX_DESTINATIONS, `at most ${MAX_DESTINATIONS} regions`)
    .default([]),
  // Its length in characters is a rule (NameTooLong, which names the limit); this bounds the work.
  name: z.string().max(1024).regex(PRINTABLE, PRINTABLE_MESSAGE).optional(),
  tags: TagsSchema.optional(),
});

export type ReplicationRequest = z.infer<typeof ReplicationRequestSchema>;

/** Turns zod's issues into one sentence per field: `destinationRegions[1]: must be a region …`. */
export const describeIssues = (error: z.ZodError): string =>
  error.issues
    .map((issue) => {
      const path = issue.path
        .map((part, index) =>
          typeof part === "number" ? `[${part}]` : `${index === 0 ? "" : "."}${String(part)}`,
        )
        .join("");
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");

export const parseWith = <T>(schema: z.ZodType<T>, input: unknown, what: string): T => {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new DomainError("InvalidRequest", `Invalid ${what}: ${describeIssues(result.error)}`);
  }
  return result.data;
};

export const parseReplicationRequest = (input: unknown): ReplicationRequest =>
  parseWith(ReplicationRequestSchema, input, "replication request");
