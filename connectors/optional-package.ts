// The connectors' door to core/client's optionalPackage (ioredis is an optional peer dependency).
export { optionalPackage } from '../core/client';
