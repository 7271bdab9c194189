import { redactUrlPassword, urlPassword } from "../../lib/model/url";

describe("passwords in URLs", () => {
  it.each<[string, string | undefined]>([
    ["tcp://user:pass@host:2376", "pass"],
    ["ssh://user:pass@host", "pass"],
    ["ssh://user:p@ss@host", "p@ss"],
    ["tcp://:pass@host:2376", "pass"],
    ["ssh://user@host", undefined],
    ["tcp://host:2376", undefined],
    ["unix:///var/run/docker.sock", undefined],
    ["tcp://host:2376/path@x", undefined],
  ])("finds the password of %p", (url, password) => {
    expect(urlPassword(url)).toBe(password);
  });

  it("redacts the password and keeps the rest of the address", () => {
    expect(redactUrlPassword("tcp://user:hunter2@host:2376")).toBe("tcp://user:***@host:2376");
    expect(redactUrlPassword("ssh://user:p@ss@host/x")).toBe("ssh://user:***@host/x");
    expect(redactUrlPassword("ssh://user@host")).toBe("ssh://user@host");
  });
});
