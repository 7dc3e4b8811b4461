/**
 * Settings that persist in this browser (localStorage): the theme and, per project, the
 * table layout and the last chart view. Broken or missing storage never breaks a page.
 */
const PREFIX = 'trainui.';

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(PREFIX + key)) ?? null;
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    localStorage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: settings just do not persist */
  }
}

export function loadProjectSettings(projectId) {
  return read(`project.${projectId}`) || {};
}

export function saveProjectSettings(projectId, patch) {
  write(`project.${projectId}`, { ...loadProjectSettings(projectId), ...patch });
}

export function loadSetting(key, fallback = null) {
  return read(key) ?? fallback;
}

export function saveSetting(key, value) {
  write(key, value);
}
