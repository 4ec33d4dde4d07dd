import { parseS3Secrets, parseS3Settings, S3SettingError } from '../../outputs/s3-settings';
import { DestinationRefused } from '../../outputs/sink';

describe('S3 output settings', () => {
  it('reads a full set, trimming the slashes around the prefix', () => {
    expect(parseS3Settings({ bucket: 'audit-events', prefix: '/atlassian/prod/', region: 'eu-west-1', endpoint: 'https://s3.example.com', forcePathStyle: true })).toEqual({
      bucket: 'audit-events',
      prefix: 'atlassian/prod',
      region: 'eu-west-1',
      endpoint: 'https://s3.example.com',
      forcePathStyle: true,
    });
  });

  it('defaults to no prefix, us-east-1, AWS itself and virtual-hosted URLs', () => {
    expect(parseS3Settings({ bucket: 'audit-events' })).toEqual({ bucket: 'audit-events', prefix: '', region: 'us-east-1', forcePathStyle: false });
  });

  it.each([
    [{}, 'bucket: required'],
    [{ bucket: 'Audit_Events' }, 'bucket: "Audit_Events" is not a bucket name'],
    [{ bucket: 'a..b' }, 'bucket: "a..b" is not a bucket name'],
    [{ bucket: 'ok-bucket', prefix: 'a/../b' }, 'prefix: "a/../b" is not a key prefix'],
    [{ bucket: 'ok-bucket', prefix: 'a//b' }, 'prefix: "a//b" is not a key prefix'],
    [{ bucket: 'ok-bucket', prefix: 'x'.repeat(600) }, 'is not a key prefix'],
    [{ bucket: 'ok-bucket', prefix: 'new\nline' }, 'prefix: "new?line" is not a key prefix'],
    [{ bucket: 'ok-bucket', region: 'EU WEST' }, 'region: "EU WEST" is not a region name'],
    [{ bucket: 'ok-bucket', endpoint: 'ftp://files.example.com' }, 'endpoint: must be an http or https URL'],
    [{ bucket: 'ok-bucket', endpoint: 'https://key:secret@s3.example.com' }, 'endpoint: must not carry credentials'],
    [{ bucket: 'ok-bucket', endpoint: 'not a url' }, 'endpoint: "not a url" is not a URL'],
    [{ bucket: 'ok-bucket', forcePathStyle: 'yes' }, 'forcePathStyle: must be true or false'],
    [{ bucket: 42 }, 'bucket: must be text'],
  ])('refuses %j in one line that names the setting', (raw, message) => {
    expect(() => parseS3Settings(raw as Record<string, unknown>)).toThrow(message);
  });

  it('is a refusal when met while sending: the output pauses rather than retrying a setting that cannot work', () => {
    expect(() => parseS3Settings({})).toThrow(DestinationRefused);
    expect(() => parseS3Settings({})).toThrow(S3SettingError);
  });

  it('takes both keys, a session token with them, or none for the AWS credential chain', () => {
    expect(parseS3Secrets({})).toEqual({});
    expect(parseS3Secrets({ accessKeyId: 'AK', secretAccessKey: 'SK' })).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK' });
    expect(parseS3Secrets({ accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'T' })).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'T' });
    expect(() => parseS3Secrets({ accessKeyId: 'AK' })).toThrow('give both the access key id and the secret access key');
    expect(() => parseS3Secrets({ sessionToken: 'T' })).toThrow('a session token needs an access key id');
  });
});
