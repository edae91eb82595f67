// Builds DynamoDB expressions (update, condition, key condition and filter) with placeholder names
// and values, so reserved words (status, error) and region names with dashes never reach the text.

export class ExpressionBuilder {
  private readonly names = new Map<string, string>();
  private readonly values: Record<string, unknown> = {};
  private readonly sets: string[] = [];
  private readonly removals: string[] = [];
  private readonly conditions: string[] = [];

  /** The placeholder for one attribute name. */
  name(attribute: string): string {
    let placeholder = this.names.get(attribute);
    if (!placeholder) {
      placeholder = `#n${this.names.size}`;
      this.names.set(attribute, placeholder);
    }
    return placeholder;
  }

  /** The placeholder for a value. */
  value(value: unknown): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** A document path such as copies.<region>.status. */
  path(segments: readonly string[]): string {
    return segments.map((segment) => this.name(segment)).join(".");
  }

  set(segments: readonly string[], value: unknown): this {
    this.sets.push(`${this.path(segments)} = ${this.value(value)}`);
    return this;
  }

  /** Adds 1 to a number, counting from 0 where it is not yet set. */
  increment(segments: readonly string[]): this {
    const path = this.path(segments);
    this.sets.push(`${path} = if_not_exists(${path}, ${this.value(0)}) + ${this.value(1)}`);
    return this;
  }

  remove(segments: readonly string[]): this {
    this.removals.push(this.path(segments));
    return this;
  }

  condition(expression: string): this {
    this.conditions.push(expression);
    return this;
  }

  /** The attribute must hold one of `allowed`; with none allowed the write can never apply. */
  conditionIn(segments: readonly string[], allowed: readonly string[]): this {
    if (allowed.length === 0)
      return this.condition("attribute_not_exists(pk) AND attribute_exists(pk)");
    const placeholders = allowed.map((status) => this.value(status)).join(", ");
    return this.condition(`${this.path(segments)} IN (${placeholders})`);
  }

  attributes(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    return {
      ...(this.names.size > 0
        ? { ExpressionAttributeNames: Object.fromEntries([...this.names].map(([n, p]) => [p, n])) }
        : {}),
      ...(Object.keys(this.values).length > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }

  build(): {
    UpdateExpression?: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    return {
      ...(this.sets.length + this.removals.length > 0
        ? {
            UpdateExpression: [
              this.sets.length > 0 ? `SET ${this.sets.join(", ")}` : "",
              this.removals.length > 0 ? `REMOVE ${this.removals.join(", ")}` : "",
            ]
              .filter(Boolean)
              .join(" "),
          }
        : {}),
      ...(this.conditions.length > 0 ? { ConditionExpression: this.conditions.join(" AND ") } : {}),
      ...this.attributes(),
    };
  }
}
