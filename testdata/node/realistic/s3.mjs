// An ES module handler whose global scope imports @aws-sdk/client-s3, a
// CommonJS package (it has no "exports" map, so import takes its "main").
import { S3Client } from '@aws-sdk/client-s3';

export const handler = async () => typeof S3Client;
