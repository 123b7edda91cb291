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
