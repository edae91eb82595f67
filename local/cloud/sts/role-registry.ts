// The roles the local STS lets callers assume: none until the admin tool creates one. Kept for every
// account in roles.json at the data dir's top; a role created is on disk before the call returns.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { cloudLog } from "../../log.js";
import { WireError } from "../../wire-error.js";
import { writeFileAtomically } from "../atomic-file.js";
import { rolesFilePath } from "../data-dir-layout.js";
import { StateWriter } from "../state-writer.js";
import { ACCOUNT_ID } from "../wire/signing-identity.js";

// IAM's own limits on role names and external ids.
export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
export const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

const roleSchema = z.object({
  accountId: z.string().regex(ACCOUNT_ID, "an account id is 12 digits"),
  roleName: z.string().regex(ROLE_NAME, "a role name is 1 to 64 of A-Z a-z 0-9 _ + = , . @ -"),
  /** When set, AssumeRole must pass exactly this ExternalId; when not, it must pass none. */
  externalId: z
    .string()
    .regex(EXTERNAL_ID, "an external id is 2 to 1224 of A-Z a-z 0-9 _ + = , . @ : / -")
    .optional(),
});

export type Role = z.infer<typeof roleSchema>;

const rolesFileSchema = z.object({ version: z.literal(1), roles: z.array(roleSchema) });

const keyOf = (accountId: string, roleName: string) => `${accountId}/${roleName}`;

export class RoleRegistry {
  private readonly roles = new Map<string, Role>();
  private readonly writer: StateWriter;

  private constructor(file: string) {
    this.writer = new StateWriter(
      () => writeFileAtomically(file, JSON.stringify({ version: 1, roles: this.list() })),
      (error) => cloudLog.error("saving the roles failed", error),
    );
  }

  static async open(dataDir: string): Promise<RoleRegistry> {
    const file = rolesFilePath(dataDir);
    const registry = new RoleRegistry(file);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return registry;
      throw error;
    }
    let content: z.infer<typeof rolesFileSchema>;
    try {
      content = rolesFileSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new Error(
        `${file} is not a roles file this version can read; move it aside to start with no roles.`,
        { cause: error },
      );
    }
    for (const role of content.roles)
      registry.roles.set(keyOf(role.accountId, role.roleName), role);
    return registry;
  }

  find(accountId: string, roleName: string): Role | undefined {
    return this.roles.get(keyOf(accountId, roleName));
  }

  /** Every role, by account, then name. */
  list(): Role[] {
    return [...this.roles.values()]
      .sort((a, b) => keyOf(a.accountId, a.roleName).localeCompare(keyOf(b.accountId, b.roleName)))
      .map((role) => ({ ...role }));
  }

  /** Creates the role, or replaces the one of that account and name; resolves once it is saved. */
  async put(request: Role): Promise<Role> {
    const parsed = roleSchema.safeParse(request);
    if (!parsed.success) {
      throw new WireError(
        "InvalidParameterValue",
        `The role is not valid: ${z.prettifyError(parsed.error)}`,
      );
    }
    const role = parsed.data;
    this.roles.set(keyOf(role.accountId, role.roleName), role);
    this.writer.markChanged();
    await this.writer.flush();
    return { ...role };
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
