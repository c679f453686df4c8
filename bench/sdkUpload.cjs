// The benchmark's yardstick for push: the same files uploaded with the AWS SDK
// alone, as its documentation shows it (lib-storage's Upload with its default
// part size and queue, one file after another), no checksums of our own and
// no manifest. Run as `node bench/sdkUpload.cjs BUCKET PREFIX FILE…` with the
// endpoint and keys in the environment (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY).
const { createReadStream } = require('node:fs');
const { basename } = require('node:path');
const { S3Client } = require('@aws-sdk/client-s3');
const { Upload } = require('@aws-sdk/lib-storage');

async function main() {
  const [bucket, prefix, ...files] = process.argv.slice(2);
  const client = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL_S3, region: 'us-east-1', forcePathStyle: true });
  for (const file of files) {
    await new Upload({ client, params: { Bucket: bucket, Key: `${prefix}/${basename(file)}`, Body: createReadStream(file) } }).done();
  }
  client.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
