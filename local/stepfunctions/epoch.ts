// The JSON 1.0 protocol sends timestamps as epoch seconds (a number, fractions allowed).

export function epochSeconds(ms: number): number {
  return ms / 1000;
}
