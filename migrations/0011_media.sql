-- The media repository: uploaded and cached remote media, and their thumbnails. Bytes live in the
-- media store (content-addressed by sha256); these rows describe them.

CREATE TABLE media (
  server_name text NOT NULL,
  media_id text NOT NULL,
  uploader text,
  content_type text,
  upload_name text,
  size_bytes bigint,
  sha256 text,
  width integer,
  height integer,
  duration_ms bigint,
  created_ts bigint NOT NULL,
  uploaded_ts bigint,
  unused_expires_ts bigint,
  last_access_ts bigint,
  quarantined boolean NOT NULL DEFAULT false,
  PRIMARY KEY (server_name, media_id)
);
CREATE INDEX media_by_uploader ON media (uploader, created_ts) WHERE uploader IS NOT NULL;
CREATE INDEX media_by_sha256 ON media (sha256) WHERE sha256 IS NOT NULL;
COMMENT ON TABLE media IS 'One row per mxc:// URI known here: local uploads (server_name is ours), pending asynchronous uploads and cached remote media.';
COMMENT ON COLUMN media.server_name IS 'Server part of the mxc:// URI: ours for local media, the origin for cached remote media.';
COMMENT ON COLUMN media.media_id IS 'Media id part of the mxc:// URI ([A-Za-z0-9_-]+).';
COMMENT ON COLUMN media.uploader IS 'Local user who uploaded (or created the pending upload); null for remote media.';
COMMENT ON COLUMN media.content_type IS 'Media type served as Content-Type; null while an asynchronous upload is pending.';
COMMENT ON COLUMN media.upload_name IS 'File name given at upload (?filename=), used in Content-Disposition; null if none.';
COMMENT ON COLUMN media.size_bytes IS 'Size of the bytes; null while pending.';
COMMENT ON COLUMN media.sha256 IS 'Lower-case hex SHA-256 of the bytes, their key in the media store; null while pending.';
COMMENT ON COLUMN media.width IS 'Image or video width in pixels when known.';
COMMENT ON COLUMN media.height IS 'Image or video height in pixels when known.';
COMMENT ON COLUMN media.duration_ms IS 'Audio or video duration in milliseconds when known.';
COMMENT ON COLUMN media.created_ts IS 'When the id was created here (upload, /create or first remote fetch), ms since the Unix epoch.';
COMMENT ON COLUMN media.uploaded_ts IS 'When the bytes arrived, ms since the Unix epoch; null for a pending asynchronous upload.';
COMMENT ON COLUMN media.unused_expires_ts IS 'Pending uploads only: after this time (ms since the Unix epoch) the unused id expires.';
COMMENT ON COLUMN media.last_access_ts IS 'Last time the media or a thumbnail of it was served, ms since the Unix epoch (remote cache purging).';
COMMENT ON COLUMN media.quarantined IS 'Quarantined by an admin: never served (404), bytes kept for review.';

CREATE TABLE media_thumbnails (
  server_name text NOT NULL,
  media_id text NOT NULL,
  width integer NOT NULL,
  height integer NOT NULL,
  method text NOT NULL CHECK (method IN ('crop', 'scale')),
  animated boolean NOT NULL,
  content_type text NOT NULL,
  size_bytes bigint NOT NULL,
  sha256 text NOT NULL,
  created_ts bigint NOT NULL,
  PRIMARY KEY (server_name, media_id, width, height, method, animated),
  FOREIGN KEY (server_name, media_id) REFERENCES media (server_name, media_id) ON DELETE CASCADE
);
CREATE INDEX media_thumbnails_by_sha256 ON media_thumbnails (sha256);
COMMENT ON TABLE media_thumbnails IS 'Generated thumbnails of media, pre-generated at upload or made on demand; bytes in the media store.';
COMMENT ON COLUMN media_thumbnails.server_name IS 'Server part of the thumbnailed media''s mxc:// URI.';
COMMENT ON COLUMN media_thumbnails.media_id IS 'Media id of the thumbnailed media.';
COMMENT ON COLUMN media_thumbnails.width IS 'Requested (target) width in pixels the thumbnail was made for.';
COMMENT ON COLUMN media_thumbnails.height IS 'Requested (target) height in pixels the thumbnail was made for.';
COMMENT ON COLUMN media_thumbnails.method IS 'crop (exactly width x height) or scale (fits inside width x height).';
COMMENT ON COLUMN media_thumbnails.animated IS 'Whether this is an animated thumbnail (animated=true on an animated GIF or WebP).';
COMMENT ON COLUMN media_thumbnails.content_type IS 'Media type of the thumbnail bytes (image/jpeg, image/png or image/webp).';
COMMENT ON COLUMN media_thumbnails.size_bytes IS 'Size of the thumbnail bytes.';
COMMENT ON COLUMN media_thumbnails.sha256 IS 'Lower-case hex SHA-256 of the thumbnail bytes, their key in the media store.';
COMMENT ON COLUMN media_thumbnails.created_ts IS 'When the thumbnail was generated, ms since the Unix epoch.';
