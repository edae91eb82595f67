// Renders EC2 Query responses: the success document (no Result wrapper) and the error document.
// EC2 writes every list as <name><item>…</item></name>, so an array value here means exactly that.

export type XmlValue = string | number | boolean | undefined | XmlMembers | readonly XmlValue[];
export interface XmlMembers {
  readonly [name: string]: XmlValue;
}

const EC2_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

export function successDocument(operation: string, requestId: string, members: XmlMembers): string {
  const body = element("requestId", requestId) + renderMembers(members);
  return `${DECLARATION}<${operation}Response xmlns="${EC2_NAMESPACE}">${body}</${operation}Response>`;
}

// Errors say RequestID, success says requestId: EC2 really does differ.
export function errorDocument(code: string, message: string, requestId: string): string {
  const error = element("Code", code) + element("Message", message);
  return `${DECLARATION}<Response><Errors><Error>${error}</Error></Errors>${element("RequestID", requestId)}</Response>`;
}

function renderMembers(members: XmlMembers): string {
  return Object.entries(members)
    .map(([name, value]) => element(name, value))
    .join("");
}

function element(name: string, value: XmlValue): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) {
    return `<${name}>${value.map((item) => element("item", item)).join("")}</${name}>`;
  }
  if (typeof value === "object") return `<${name}>${renderMembers(value as XmlMembers)}</${name}>`;
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
