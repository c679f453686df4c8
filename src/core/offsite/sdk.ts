/**
 * The parts of the AWS SDK v3 the offsite capability uses, in one module.
 * It is the only file that loads the SDK at run time, and the build makes it
 * a bundle of its own (dist/offsite-sdk.js, see esbuild.js) that `client.ts`
 * loads on first use: the SDK is about as large as the rest of the CLI, and
 * only push, pull, list --remote and backup --offsite need it.
 */
export {
  S3Client,
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
export { Upload } from '@aws-sdk/lib-storage';
