// The local cloud's Parameter Store: named values per account and region, as SSM keeps them, in
// memory (the stack puts what its functions read at each start). A SecureString is handed out
// only to a caller that asks for it decrypted, as SSM does; nothing is really encrypted here.
import { WireError } from "../../wire-error.js";

export type ParameterType = "String" | "SecureString";

export interface Parameter {
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  lastModified: Date;
}

const parameterNotFound = (name: string) =>
  new WireError("ParameterNotFound", `Parameter ${name} not found.`);

const parameterAlreadyExists = (name: string) =>
  new WireError(
    "ParameterAlreadyExists",
    `The parameter ${name} already exists; pass Overwrite to replace it.`,
  );

export class ParameterStore {
  private readonly parameters = new Map<string, Parameter>();

  put(
    where: { accountId: string; region: string },
    request: { name: string; value: string; type: ParameterType; overwrite?: boolean },
  ): Parameter {
    const key = `${where.accountId}/${where.region}/${request.name}`;
    const existing = this.parameters.get(key);
    if (existing && !request.overwrite) throw parameterAlreadyExists(request.name);
    const parameter: Parameter = {
      name: request.name,
      type: request.type,
      value: request.value,
      version: (existing?.version ?? 0) + 1,
      lastModified: new Date(),
    };
    this.parameters.set(key, parameter);
    return parameter;
  }

  get(where: { accountId: string; region: string }, name: string): Parameter {
    const parameter = this.parameters.get(`${where.accountId}/${where.region}/${name}`);
    if (!parameter) throw parameterNotFound(name);
    return parameter;
  }
}
