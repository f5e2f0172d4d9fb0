/** A setting the operator gave that the node cannot run with; `setting` names it as they wrote it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** The setting at fault, as the user wrote it (flag or variable). */
  readonly setting: string;
  /** What is wrong, without the setting's name: for the console, where a field names it. */
  readonly reason: string;

  constructor(setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.setting = setting;
    this.reason = message;
  }
}
