/**
 * Attribute schemas: how a plugin declares the configuration attributes it accepts.
 *
 * The kernel checks a slot's attributes against its plugin's schema before calling `create`, fills
 * in defaults, and warns once per slot about attributes the schema does not name (an error with
 * `"strict": true`). Values are JSON data, so a config from a file and one built in code are
 * interchangeable.
 *
 * @module
 */

/** One accepted attribute. `default` is used when the attribute is absent. */
export type AttributeSpec =
  | {
    type: "string";
    default?: string;
    /** Allowed values, when the attribute is a choice. */
    enum?: readonly string[];
    description?: string;
  }
  | {
    type: "integer" | "number";
    default?: number;
    min?: number;
    max?: number;
    description?: string;
  }
  | { type: "boolean"; default?: boolean; description?: string }
  | {
    /** Checked by the plugin itself (nested objects such as `tls`, lists such as `members`). */
    type: "object" | "array" | "any";
    default?: unknown;
    description?: string;
  };

/** The attributes a plugin accepts, by name. `className` is implied and never listed. */
export type AttributeSchema = Readonly<Record<string, AttributeSpec>>;

/** The value one spec admits once checked: `integer` is a number, a string `enum` its choices. */
export type AttributeValue<A extends AttributeSpec> = A extends
  { type: "string"; enum: readonly (infer E extends string)[] } ? E
  : A extends { type: "string" } ? string
  : A extends { type: "integer" | "number" } ? number
  : A extends { type: "boolean" } ? boolean
  : A extends { type: "object" } ? Record<string, unknown>
  : A extends { type: "array" } ? unknown[]
  : unknown;

/** True when the spec names a default, so that the checked attribute is always present. */
type HasDefault<A> = A extends { default: infer D } ? undefined extends D ? false : true : false;

/**
 * What `create` receives for a schema: attributes with a default are present, the others may be
 * absent. A schema typed only as `AttributeSchema` (names unknown) gives a plain record.
 */
export type InitOf<S extends AttributeSchema> = string extends keyof S ? Record<string, unknown>
  : Flatten<
    & {
      -readonly [P in keyof S as HasDefault<S[P]> extends true ? P : never]: AttributeValue<S[P]>;
    }
    & {
      -readonly [P in keyof S as HasDefault<S[P]> extends true ? never : P]?:
        | AttributeValue<S[P]>
        | undefined;
    }
  >;

type Flatten<T> = { [P in keyof T]: T[P] };
