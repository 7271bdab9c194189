import fc from "fast-check";
import { parseAddress } from "../../lib/model/address";

/** Service-name-like DNS labels (what app.yaml accepts as a service name). */
const label = fc.stringMatching(/^[a-z]([-a-z0-9]{0,20}[a-z0-9])?$/);
const port = fc.integer({ min: 1, max: 65535 });
const hostVariable = fc.constantFrom("REDIS_HOST", "DB_HOSTNAME", "PRODUCT_CATALOG_SERVICE_ADDR", "API_URL", "SMTP_SERVER", "UPSTREAM_ENDPOINT", "HOST");

describe("parseAddress: service addresses inside environment-variable values", () => {
  it("reads host:port of every label and port", () => {
    fc.assert(fc.property(label, port, fc.string(), (h, p, name) => expect(parseAddress(name, `${h}:${p}`)).toEqual({ host: h, port: p })), { numRuns: 2000 });
  });

  it("agrees with the WHATWG URL parser on the host and port of URLs (user info, path, query)", () => {
    // The oracle decodes "xn--" labels as punycode (IDNA) and rejects invalid ones ("xn--a", found
    // by fast-check): such a label is no service name anyone writes, so the comparison leaves it out.
    const urlLabel = label.filter((l) => !l.startsWith("xn--"));
    const scheme = fc.constantFrom("http", "https", "redis", "postgres", "amqp", "grpc");
    const user = fc.option(fc.stringMatching(/^[a-z0-9]{1,8}$/), { nil: undefined });
    const rest = fc.stringMatching(/^(\/[a-z0-9]{0,6}){0,3}(\?[a-z]=[0-9])?$/);
    fc.assert(
      fc.property(scheme, user, urlLabel, fc.option(port, { nil: undefined }), rest, (s, u, h, p, r) => {
        const value = `${s}://${u ? `${u}@` : ""}${h}${p ? `:${p}` : ""}${r}`;
        const url = new URL(value);
        const got = parseAddress("ANY", value);
        expect(got?.host).toBe(url.hostname);
        // URL drops a scheme's default port (http:80); the parser keeps what was written.
        expect(got?.port).toBe(p);
        if (url.port !== "") expect(got?.port).toBe(Number(url.port));
      }),
      { numRuns: 2000 },
    );
  });

  it("a bare host counts only for variables whose name says they hold one", () => {
    fc.assert(fc.property(label, hostVariable, (h, name) => expect(parseAddress(name, h)).toEqual({ host: h })));
    fc.assert(fc.property(label, fc.constantFrom("MODE", "ROLE", "LOG_LEVEL", "QUEUE", "HOST_COUNT"), (h, name) => expect(parseAddress(name, h)).toBeNull()));
  });

  it("a dotted name, a port out of range or other text is no service address", () => {
    expect(parseAddress("SMTP_HOST", "smtp.example.com")).toBeNull();
    expect(parseAddress("X", "api:0")).toBeNull();
    expect(parseAddress("X", "api:65536")).toBeNull();
    expect(parseAddress("X", "api:http")).toBeNull();
    expect(parseAddress("X", "hello world")).toBeNull();
    expect(parseAddress("X", "Api:80")).toBeNull();
  });

  it("never throws, and whatever it returns is a DNS label with a port in range", () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ maxLength: 300 }), (name, value) => {
        const r = parseAddress(name, value);
        if (r === null) return;
        expect(r.host).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        if (r.port !== undefined) expect(r.port >= 1 && r.port <= 65535).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it("the property can fail: a parser that ignores ports disagrees with the URL oracle", () => {
    const broken = (v: string) => ({ host: v.replace(/^[a-z]+:\/\//, "").split(/[:/]/)[0], port: undefined as number | undefined });
    const r = fc.check(fc.property(label, port, (h, p) => broken(`http://${h}:${p}/`).port === Number(new URL(`http://${h}:${p}/`).port || p)));
    expect(r.failed).toBe(true);
  });
});
