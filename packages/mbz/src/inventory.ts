import {
  collectRecords,
  combineHandlers,
  type Fields,
  isSet,
  pathEndsWith,
  pathEquals,
} from "./record-collector.ts";
import type { XmlHandler } from "./xml-stream.ts";

/** Plugin types whose plugins can put data in, or be needed by, a course backup. */
const PLUGIN_TYPES = new Set([
  "mod",
  "qtype",
  "qbehaviour",
  "format",
  "block",
  "filter",
  "enrol",
  "availability",
  "gradingform",
  "assignsubmission",
  "assignfeedback",
  "quizaccess",
  "workshopform",
  "workshopallocation",
  "workshopeval",
  "datafield",
  "booktool",
  "customfield",
  "ltisource",
  "ltiservice",
  "qbank",
  "local",
  "tool",
  "tiny",
  "atto",
  "editor",
  "repository",
  "theme",
]);

/** What a backup contains, gathered member by member. */
export class ContentInventory {
  readonly questionsByQtype = new Map<string, number>();
  questionCategories = 0;
  readonly blocks = new Map<string, number>();
  readonly activeFilters = new Set<string>();
  /** Every plugin component the contents use, core or not. */
  readonly plugins = new Set<string>();
  readonly course: { format?: string; lang?: string; summary?: string } = {};
  readonly fileRecords = { count: 0, bytes: 0 };
  /** Content hashes referenced by files.xml, with whether each holds user data only. */
  readonly referencedBlobs = new Map<string, { userDataOnly: boolean }>();
  readonly blobs = { count: 0, bytes: 0, names: new Set<string>() };
  readonly languages = new Set<string>();
  /** Versions of activity modules and blocks, as the backup's site had them installed. */
  readonly pluginVersions = new Map<string, number>();

  /** Keeps the highest version seen for a plugin (attribute `version` of module.xml, block.xml). */
  recordVersion(component: string, version: string | undefined): void {
    if (!version || !/^\d+(\.\d+)?$/.test(version)) return;
    const value = Number(version);
    if (value > (this.pluginVersions.get(component) ?? 0))
      this.pluginVersions.set(component, value);
  }

  usePlugin(type: string, name: string | undefined): void {
    if (PLUGIN_TYPES.has(type) && name && /^[a-z][a-z0-9_]*$/.test(name)) {
      this.plugins.add(`${type}_${name}`);
    }
  }

  /** Records a component named in the contents (files.xml, plugin elements) if it is a plugin. */
  useComponent(component: string): void {
    const split = component.indexOf("_");
    if (split > 0) this.usePlugin(component.slice(0, split), component.slice(split + 1));
  }

  /** Handlers for the member, by what Moodle keeps in it; undefined when nothing is wanted. */
  handlersFor(member: string): XmlHandler[] {
    const handlers: XmlHandler[] = [pluginElements(this)];
    if (member === "questions.xml") handlers.push(questionBank(this));
    else if (member === "course/course.xml") handlers.push(courseSettings(this));
    else if (member === "course/enrolments.xml") handlers.push(enrolMethods(this));
    else if (/(^|\/)filters\.xml$/.test(member)) handlers.push(filters(this));
    else if (/^(course|activities\/[^/]+)\/blocks\/[^/]+\/block\.xml$/.test(member))
      handlers.push(block(this));
    else if (/^activities\/[^/]+\/grading\.xml$/.test(member)) handlers.push(gradingMethods(this));
    else if (/^activities\/([a-z0-9_]+)_\d+\/\1\.xml$/.test(member))
      handlers.push(activitySettings(this));
    if (/^(sections\/[^/]+\/section|activities\/[^/]+\/module)\.xml$/.test(member)) {
      handlers.push(availability(this));
    }
    if (/^activities\/[^/]+\/module\.xml$/.test(member)) handlers.push(moduleVersion(this));
    return handlers;
  }
}

/**
 * Moodle names the data of a plugin hooked into a backup element
 * `plugin_<type>_<name>_<element>` (or `subplugin_...`), where <element> is the name of
 * the element it hangs under. A plugin whose element holds nothing had no data here.
 */
function pluginElements(inventory: ContentInventory): XmlHandler {
  let pending: { depth: number; type: string; name: string } | undefined;
  return {
    open(path) {
      if (pending && path.length === pending.depth + 1) {
        // Subplugin types of third-party modules are unknown to us but needed all the same.
        if (/^[a-z][a-z0-9_]*$/.test(pending.name))
          inventory.plugins.add(`${pending.type}_${pending.name}`);
        pending = undefined;
      }
      const name = path[path.length - 1] as string;
      const parent = path[path.length - 2];
      const match = /^(?:sub)?plugin_([a-z]+)_(.+)$/.exec(name);
      if (!match || !parent) return;
      const rest = match[2] as string;
      const suffix = `_${parent}`;
      const pluginName = rest.endsWith(suffix) ? rest.slice(0, -suffix.length) : rest;
      pending = { depth: path.length, type: match[1] as string, name: pluginName };
    },
    close(path) {
      if (pending && path.length === pending.depth) pending = undefined;
    },
  };
}

function questionBank(inventory: ContentInventory): XmlHandler {
  return combineHandlers([
    collectRecords(
      (path) => pathEndsWith(path, ["questions", "question"]),
      (fields) => {
        const qtype = fields.qtype;
        if (!qtype) return;
        inventory.questionsByQtype.set(qtype, (inventory.questionsByQtype.get(qtype) ?? 0) + 1);
        inventory.usePlugin("qtype", qtype);
      },
    ),
    {
      open(path) {
        if (pathEquals(path, ["question_categories", "question_category"]))
          inventory.questionCategories++;
      },
    },
  ]);
}

function courseSettings(inventory: ContentInventory): XmlHandler {
  return combineHandlers([
    collectRecords(
      (path) => pathEquals(path, ["course"]),
      (fields) => {
        if (isSet(fields.format)) {
          inventory.course.format = fields.format;
          inventory.usePlugin("format", fields.format);
        }
        if (isSet(fields.lang)) {
          inventory.course.lang = fields.lang;
          inventory.languages.add(fields.lang);
        }
        if (isSet(fields.summary)) inventory.course.summary = fields.summary;
      },
    ),
    collectRecords(
      (path) => pathEquals(path, ["course", "customfields", "customfield"]),
      (fields) => inventory.usePlugin("customfield", fields.type),
    ),
  ]);
}

function enrolMethods(inventory: ContentInventory): XmlHandler {
  return collectRecords(
    (path) => pathEquals(path, ["enrolments", "enrols", "enrol"]),
    (fields) => inventory.usePlugin("enrol", fields.enrol),
  );
}

function filters(inventory: ContentInventory): XmlHandler {
  return collectRecords(
    (path) => pathEquals(path, ["filters", "filter_actives", "filter_active"]),
    (fields) => {
      if (fields.active === "1" && fields.filtername) {
        inventory.activeFilters.add(fields.filtername);
        inventory.usePlugin("filter", fields.filtername);
      }
    },
  );
}

function block(inventory: ContentInventory): XmlHandler {
  return collectRecords(
    (path) => pathEquals(path, ["block"]),
    (fields, attributes) => {
      const name = fields.blockname;
      if (!name) return;
      inventory.blocks.set(name, (inventory.blocks.get(name) ?? 0) + 1);
      inventory.usePlugin("block", name);
      inventory.recordVersion(`block_${name}`, attributes.version);
    },
  );
}

function moduleVersion(inventory: ContentInventory): XmlHandler {
  return collectRecords(
    (path) => pathEquals(path, ["module"]),
    (fields, attributes) => {
      if (fields.modulename && /^[a-z][a-z0-9_]*$/.test(fields.modulename)) {
        inventory.recordVersion(`mod_${fields.modulename}`, attributes.version);
      }
    },
  );
}

function gradingMethods(inventory: ContentInventory): XmlHandler {
  return collectRecords(
    (path) => pathEquals(path, ["areas", "area"]),
    (fields) => {
      if (isSet(fields.activemethod)) inventory.usePlugin("gradingform", fields.activemethod);
    },
  );
}

/** Plugins an activity's own settings name: behaviours, assignment plugins, field types. */
function activitySettings(inventory: ContentInventory): XmlHandler {
  return combineHandlers([
    {
      close(path, text) {
        const name = path[path.length - 1];
        if (name === "preferredbehaviour" && path.length === 3)
          inventory.usePlugin("qbehaviour", text);
        if (name === "strategy" && pathEquals(path, ["activity", "workshop", "strategy"])) {
          inventory.usePlugin("workshopform", text);
        }
        if (name === "evaluation" && pathEquals(path, ["activity", "workshop", "evaluation"])) {
          inventory.usePlugin("workshopeval", text);
        }
      },
    },
    collectRecords(
      (path) => pathEndsWith(path, ["plugin_configs", "plugin_config"]),
      (fields: Fields) => {
        if (fields.name === "enabled" && fields.value === "1" && fields.subtype) {
          inventory.usePlugin(fields.subtype, fields.plugin);
        }
      },
    ),
    collectRecords(
      (path) => pathEquals(path, ["activity", "data", "fields", "field"]),
      (fields) => inventory.usePlugin("datafield", fields.type),
    ),
  ]);
}

/** Availability conditions are stored as JSON; each condition type is a plugin. */
function availability(inventory: ContentInventory): XmlHandler {
  return {
    close(path, text) {
      if (path[path.length - 1] !== "availabilityjson" || !isSet(text)) return;
      let tree: unknown;
      try {
        tree = JSON.parse(text);
      } catch {
        return; // Moodle ignores unreadable conditions on restore too.
      }
      const visit = (node: unknown): void => {
        if (!node || typeof node !== "object") return;
        const condition = node as { type?: unknown; c?: unknown };
        if (typeof condition.type === "string") inventory.usePlugin("availability", condition.type);
        if (Array.isArray(condition.c)) condition.c.forEach(visit);
      };
      visit(tree);
    },
  };
}
