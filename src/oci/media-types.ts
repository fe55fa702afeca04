// Media types of the artifact layouts wasmlet pushes and pulls. Spin's are copied verbatim from
// spinframework/spin `crates/oci/src/client.rs`; wkg's from the CNCF TAG Runtime "Wasm OCI
// artifact" layout (`application/vnd.wasm.config.v0+json` + one `application/wasm` layer).

/** OCI image manifest (image-spec `manifest.md`). */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** OCI image index (image-spec `image-index.md`): a list of manifests, e.g. one per platform. */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** Docker's schema 2 manifest, the same shape as {@link OCI_MANIFEST}; accepted on pull. */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** Docker's manifest list, the same shape as {@link OCI_INDEX}; accepted on pull. */
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** The image config Spin pushes (an ordinary OCI image config: architecture `wasm`). */
export const OCI_IMAGE_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** Spin: a component's Wasm binary. */
export const SPIN_WASM_LAYER = 'application/vnd.wasm.content.layer.v1+wasm';
/** Spin: one static file of a component. */
export const SPIN_DATA_LAYER = 'application/vnd.wasm.content.layer.v1+data';
/** Spin: a gzipped tar of a component's files (Spin pushes it past 500 layers; wasmlet does not). */
export const SPIN_ARCHIVE_LAYER = 'application/vnd.wasm.content.bundle.v1.tar+gzip';
/** Spin: the locked app JSON (`crates/locked-app`), the last layer. */
export const SPIN_APPLICATION_LAYER = 'application/vnd.fermyon.spin.application.v1+config';

/** wkg (CNCF wasm layout): the config blob. */
export const WASM_CONFIG = 'application/vnd.wasm.config.v0+json';
/** wkg (CNCF wasm layout): the one Wasm layer. */
export const WASM_LAYER = 'application/wasm';

/** The `Accept` header of a manifest GET: every manifest and index type wasmlet understands. */
export const MANIFEST_ACCEPT = [OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST].join(', ');

/** A content descriptor (image-spec `descriptor.md`). */
export interface Descriptor {
  mediaType: string;
  /** `sha256:<64 hex>`. */
  digest: string;
  /** Size in bytes. */
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

/** An image manifest (image-spec `manifest.md`). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** An image index (image-spec `image-index.md`). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}
