export * from "./error_codes.ts";
