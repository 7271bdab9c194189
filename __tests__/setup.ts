import { Testing } from "../lib/facade/cdktf";

Testing.setupJest();
