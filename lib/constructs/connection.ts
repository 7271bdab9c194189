import { Construct } from "constructs";
import { declarationsOf } from "./declarations";
import type { Service } from "./service";

/** Props of {@link Connection}. */
export interface ConnectionProps {
  /** The service connected to. */
  readonly server: Service;
  /** The name of the server's port. */
  readonly port: string;
  /** Skipped where the server is not deployed (`enabled: false`). @default false */
  readonly optional?: boolean;
  /** Environment variable of the client set to the server's address. @default none */
  readonly env?: string;
}

/**
 * The intent "this service talks to that one on this port": the only path traffic has between
 * services. Created by `client.connectTo(server, port)`, as a child of the client.
 */
export class Connection extends Construct {
  /** The client service (this construct's scope). */
  public readonly client: Service;
  public readonly server: Service;
  /** The server's port name. */
  public readonly portName: string;

  constructor(client: Service, id: string, props: ConnectionProps) {
    super(client, id);
    this.client = client;
    this.server = props.server;
    this.portName = props.port;
    const declarations = declarationsOf(this, "connection");
    declarations.add(this, () => {
      const list = declarations.connections.get(client.serviceName) ?? [];
      list.push({ to: props.server.serviceName, port: props.port, ...(props.optional !== undefined && { optional: props.optional }), ...(props.env !== undefined && { env: props.env }) });
      declarations.connections.set(client.serviceName, list);
      client.connections.push(this);
    });
  }

  /** `host:port` the client dials. */
  public get address(): string {
    return this.server.address(this.portName);
  }
}
