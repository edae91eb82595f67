// Renders Query responses: EC2's success document (no Result wrapper) and error document, and the
// awsQuery ones other services (STS) use. EC2 writes every list as <name><item>…</item></name>,
// awsQuery as <name><member>…</member></name>, so an array value here means exactly that.

export type XmlValue = string | number | boolean | undefined | XmlMembers | readonly XmlValue[];
export interface XmlMembers {
  readonly [name: string]: XmlValue;
}

const EC2_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

export function successDocument(operation: string, requestId: string, members: XmlMembers): string {
  const body = renderMembers({ requestId, ...members }, "item");
  return `${DECLARATION}<${operation}Response xmlns="${EC2_NAMESPACE}">${body}</${operation}Response>`;
}

// Errors say RequestID, success says requestId: EC2 really does differ.
export function errorDocument(code: string, message: string, requestId: string): string {
  const body = renderMembers(
    { Errors: { Error: { Code: code, Message: message } }, RequestID: requestId },
    "item",
  );
  return `${DECLARATION}<Response>${body}</Response>`;
}

/** `<OpResponse><OpResult>…</OpResult><ResponseMetadata><RequestId>…` */
export function awsQuerySuccessDocument(
  namespace: string,
  operation: string,
  requestId: string,
  result: XmlMembers,
): string {
  const body = renderMembers(
    {
      [`${operation}Result`]: result,
      ResponseMetadata: { RequestId: requestId },
    },
    "member",
  );
  return `${DECLARATION}<${operation}Response xmlns="${namespace}">${body}</${operation}Response>`;
}

/** `<ErrorResponse><Error><Type>…<Code>…<Message>…</Error><RequestId>…` */
export function awsQueryErrorDocument(
  namespace: string,
  error: { type: "Sender" | "Receiver"; code: string; message: string },
  requestId: string,
): string {
  const body = renderMembers(
    {
      Error: { Type: error.type, Code: error.code, Message: error.message },
      RequestId: requestId,
    },
    "member",
  );
  return `${DECLARATION}<ErrorResponse xmlns="${namespace}">${body}</ErrorResponse>`;
}

function renderMembers(members: XmlMembers, itemName: string): string {
  return Object.entries(members)
    .map(([name, value]) => element(name, value, itemName))
    .join("");
}

function element(name: string, value: XmlValue, itemName: string): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) {
    const items = value.map((item) => element(itemName, item, itemName)).join("");
    return `<${name}>${items}</${name}>`;
  }
  if (typeof value === "object") {
    return `<${name}>${renderMembers(value as XmlMembers, itemName)}</${name}>`;
  }
  return `<${name}>${escapeText(String(value))}</${name}>`;
}

function escapeText(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}
