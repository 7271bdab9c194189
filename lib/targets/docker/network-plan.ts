export * from "../shared/network-plan";
