import { isUserRecord } from "./personal-data.ts";
import { isSet, pathEquals } from "./record-collector.ts";
import type { UserDataRecord } from "./user-data-elements.ts";
import type { XmlHandler } from "./xml-stream.ts";

/** One user-data record found in an XML member, by its offsets in the decoded text. */
export interface UserRecordSpan {
  readonly rule: UserDataRecord;
  readonly start: number;
  readonly end: number;
}

/**
 * Elements whose non-empty value ties a record to a person. Used to notice user data
 * that no rule describes (a third-party plugin's, or a format Moodle added later).
 */
const PERSON_FIELDS = new Set(["userid", "authorid", "recipientid", "raterid", "relateduserid"]);

export interface UserRecordHandlerOptions {
  readonly rules: readonly UserDataRecord[];
  /** Called once per outermost user-data record matched by a rule. */
  readonly onRecord: (span: UserRecordSpan) => void;
  /**
   * When given, any element outside rule-matched records that has a person field set
   * is reported here (once per outermost such element).
   */
  readonly onUnrecognised?: (path: readonly string[]) => void;
}

interface Frame {
  readonly rule: UserDataRecord;
  readonly depth: number;
  readonly start: number;
  readonly fields: Record<string, string>;
  /** User-data records found inside, kept until we know whether this one is user data too. */
  readonly inner: UserRecordSpan[];
}

/** Finds the user-data records of one XML member, counting nested ones once. */
export function userRecordHandler({
  rules,
  onRecord,
  onUnrecognised,
}: UserRecordHandlerOptions): XmlHandler {
  const frames: Frame[] = [];
  let unrecognisedDepth = 0;

  const settle = (spans: readonly UserRecordSpan[]) => {
    const parent = frames.at(-1);
    if (parent) parent.inner.push(...spans);
    else for (const span of spans) onRecord(span);
  };

  return {
    open(path, attributes, start) {
      const rule = rules.find((candidate) => pathEquals(path, candidate.path));
      // Moodle writes some record fields as attributes (e.g. <state_history userid="2">).
      if (rule)
        frames.push({ rule, depth: path.length, start, fields: { ...attributes }, inner: [] });
      if (!onUnrecognised || frames.length > 0 || unrecognisedDepth !== 0) return;
      if (
        Object.entries(attributes).some(([name, value]) => PERSON_FIELDS.has(name) && isSet(value))
      ) {
        unrecognisedDepth = path.length;
        onUnrecognised(path);
      }
    },
    close(path, text, end) {
      const frame = frames.at(-1);
      if (frame && path.length === frame.depth + 1) {
        frame.fields[path[path.length - 1] as string] = text;
      }
      if (frame && path.length === frame.depth) {
        frames.pop();
        settle(
          isUserRecord(frame.rule, frame.fields)
            ? [{ rule: frame.rule, start: frame.start, end }]
            : frame.inner,
        );
        return;
      }
      if (!onUnrecognised || frames.length > 0) return;
      if (
        unrecognisedDepth === 0 &&
        PERSON_FIELDS.has(path[path.length - 1] as string) &&
        isSet(text)
      ) {
        unrecognisedDepth = path.length - 1;
        onUnrecognised(path.slice(0, -1));
      } else if (path.length === unrecognisedDepth) {
        unrecognisedDepth = 0;
      }
    },
  };
}
