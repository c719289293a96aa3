/** Executable names as the rule compares them, apart from any catalogue (the tool families use it too). */

const DELETED_SUFFIX = " (deleted)";

const MEMFD_PREFIX = "memfd:";

/**
 * The executable name of a path: its last component, without the " (deleted)" marker the kernel appends
 * to unlinked executables, and without the "memfd:" of an anonymous memory file (`/memfd:curl (deleted)`
 * is a curl run without touching the disk: the name is the one its loader gave it). A bare name is
 * returned unchanged.
 */
export function executableName(nameOrPath: string): string {
  let value = nameOrPath;
  if (value.endsWith(DELETED_SUFFIX)) value = value.slice(0, -DELETED_SUFFIX.length);
  const slash = value.lastIndexOf("/");
  const name = slash === -1 ? value : value.slice(slash + 1);
  return name.startsWith(MEMFD_PREFIX) ? name.slice(MEMFD_PREFIX.length) : name;
}
