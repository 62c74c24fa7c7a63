/**
 * MobileNet v1 (α = 0.75, Google's ImageNet weights in TensorFlow.js layers format) to the ReLU6 output of
 * conv_pw_11: 384 channels at stride 16, the last stride-16 layer (the counterpart of VGG16 relu5_1). The layer is
 * fixed by that principle, not tuned on any data.
 *
 * The Keras topology is read as a sequential stack of convolutions (src/backbones/keras.ts): each Conv2D /
 * DepthwiseConv2D with the BatchNormalization that follows folded into it and its ReLU6. TensorFlow 'same' padding
 * depends on each layer's input size; the metric graph keeps symbolic H×W (ONNX auto_pad SAME_UPPER), tiles match
 * the whole image's per-layer parity (src/features.ts), so tiled = untiled.
 *
 * Saliency calibration: the mask multiplies conv1's ReLU6 output — the first layer's activation, as the authors'
 * VGG16 variant does with relu1_1. conv1 has stride 2, so the full-resolution mask is sampled at the centre of each
 * conv1 unit's 3×3 window (docs/saliency-backbones.md).
 */
import type { BackboneSpec } from '../graph/spec.js';
import { macs } from '../graph/geometry.js';
import type { WeightsDeclaration } from '../weights/official.js';
import type { WeightMap } from '../weights/types.js';
import { checkKerasStack, foldConvStack, kerasStackLayers, parseConvStack, type KerasConvOp } from './keras.js';

/** The feature layer DeepSSIM uses. */
export const MOBILENET_FEATURE_LAYER = 'conv_pw_11_relu';
export const MOBILENET_CHANNELS = 384;

/** The canonical MobileNet v1 α = 0.75 stack up to conv_pw_11_relu (what the topology must match). */
function canonicalStack(): KerasConvOp[] {
  const bn = (name: string) => ({ name: `${name}_bn`, epsilon: 1e-3, center: true, scale: true });
  const conv = (
    kind: KerasConvOp['kind'],
    name: string,
    k: number,
    s: number,
    cin: number,
    cout: number,
  ): KerasConvOp => ({
    kind,
    name,
    kernel: [k, k],
    strides: [s, s],
    padding: 'same',
    inChannels: cin,
    outChannels: cout,
    useBias: false,
    bn: bn(name),
    activation: 'relu6',
    output: `${name}_relu`,
  });
  const ops = [conv('conv', 'conv1', 3, 2, 3, 24)];
  // (depthwise stride, pointwise filters) of blocks 1..11 at α = 0.75 (64·0.75 = 48, …, 512·0.75 = 384).
  const blocks: [number, number][] = [
    [1, 48],
    [2, 96],
    [1, 96],
    [2, 192],
    [1, 192],
    [2, 384],
    [1, 384],
    [1, 384],
    [1, 384],
    [1, 384],
    [1, 384],
  ];
  let c = 24;
  blocks.forEach(([s, f], i) => {
    ops.push(conv('depthwise', `conv_dw_${i + 1}`, 3, s, c, c));
    ops.push(conv('conv', `conv_pw_${i + 1}`, 1, 1, c, f));
    c = f;
  });
  return ops;
}

export const MOBILENET_V1_075_STACK: readonly KerasConvOp[] = canonicalStack();

const WHAT = 'MobileNet v1 α = 0.75';
/** Canonical location of Google's MobileNet v1 α = 0.75 TensorFlow.js layers model (model.json beside its shards). */
export const MOBILENET_BASE_URL = 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.75_224';

/**
 * model.json and its 55 shards: SHA-256 and size of each, computed from the copy in ../shared/weights
 * (test/mobilenet-cache.test.ts re-checks them against those files).
 */
const MOBILENET_FILES: readonly (readonly [string, string, number])[] = [
  ['model.json', 'a74c25424bd9939b1c245a58da417e35d1ca16f0b009490a1c44b43d982600d9', 49403],
  ['group1-shard1of1', '410b3cc24d17aeabb2b0da4ba3b70383bbd40d7876c7c3d0e5184e1624f97370', 2592],
  ['group2-shard1of1', 'd81c61c33c32ddae0ff0a460efc326ebfdf5b44e7e4891feb12e9fadd09a56a3', 384],
  ['group3-shard1of1', '112908d83ad17ecaf849958cce3ca7bfed80157a51360ba879528b2435e2f082', 864],
  ['group4-shard1of1', '5e94d298bb9dbc3112e992466a03caac0b24f0438d3a9f1f6cd6bda9a54ae149', 13824],
  ['group5-shard1of1', '9df642d8547369f3729945e24851a2e6b53151322d811a6ff056aa6cfade05ae', 6144],
  ['group6-shard1of1', '1d4757b388337362ec777dfede8342c8a204d2fdcbdd05fedc2e8c043bc770d2', 13824],
  ['group7-shard1of1', '2af6b4d2bd0445481274ee0c2c62f1c97c9b07358c1f242502d9399a33633462', 6144],
  ['group8-shard1of1', 'fedb2a393c7e5a9cd877a09a03cb173a6b5265c3f1c64996fa6eeb73caf281a2', 13824],
  ['group9-shard1of1', '8c0dd6230a3dfd282624bd3ca3e288cb18bd8094a02a93cadd06107d7b0fdc76', 6144],
  ['group10-shard1of1', 'ffe87f44c0b246b0e3a2e8f7b4c8755df7e90083eab280046e1949f6d3094548', 27648],
  ['group11-shard1of1', 'd5422fd33b5b3a761b4872e350236445d006f5b024a8b50f1e19aec5df998e75', 12288],
  ['group12-shard1of1', '21bcbe424326f5d44476b4116695842dfec1dc1c83257db7c300bdbd14cbcbe0', 384],
  ['group13-shard1of1', 'cee9d1834e80e98e0f55cb40a654540f9e9b1fd18ab2f16afa1e8bd916addc75', 1728],
  ['group14-shard1of1', '4851f5e477559b41db0e267878b86ccf2ea1cc7ed9f5d7599d661ba980718c65', 768],
  ['group15-shard1of1', '262efea5db1248f77ea109c628647afe8f1d2750812dd764de514bcb72fb5fbf', 3456],
  ['group16-shard1of1', '2f4d993fb69caaabb060efcc347b54b0949e17a3d43cff315072e550775e993b', 1536],
  ['group17-shard1of1', 'd1518210ac84e0a713d01bebfbff1aa93c4ec16b4f43f98f2f4a2134f605324e', 3456],
  ['group18-shard1of1', 'c730ccf93ab504096fe2294c7bbbb66855a07f2480c0f72849cad9a90092729b', 1536],
  ['group19-shard1of1', 'd39c30fc0cb24c28dcf0a869ca8d6528e596599e70f7899f453dc5de775e5de2', 6912],
  ['group20-shard1of1', 'd94cd173f5b95be0a192333b6c5203123a35f8d5429b122eba46da5fd7d01e70', 3072],
  ['group21-shard1of1', '982cbbfb5bc00408b67182a65140b8ca6793cb495ab94c6b83c71384435684e3', 6912],
  ['group22-shard1of1', '64f8593a7e07081e8f0981393e5515a23153459f19685ebd69e8f4e64b6de258', 3072],
  ['group23-shard1of1', '38be667fa3398643de8bae70b8693e2d895cfe099fd34e9c241bc572bb764ec8', 13824],
  ['group24-shard1of1', '62c62d667246e8af09ed15b557add88ed9b0a9c7f058d8c9b8e20dc4183a3616', 6144],
  ['group25-shard1of1', 'b4e3ea0b6fb1c3e160cc673ce9c81d592ff233e608b2fc1dc0792125b867bd68', 13824],
  ['group26-shard1of1', '0059826ac853f592c50ca5d07edb8feb1bd84a855eba47333cb834095acb6b2b', 6144],
  ['group27-shard1of1', '3de17d3971bf39138917a87a4efa335c9cc82a33170f552361345f583a18b0cf', 13824],
  ['group28-shard1of1', '3aaa10b8e1932a9eebf04d9f85a65050e2ecc5efb295bdcd262c2e4c560ff70c', 6144],
  ['group29-shard1of1', '29e5c43deddd5033397f359611b840d130493c2eebb841b627de231a9a3a3133', 3076000],
  ['group30-shard1of1', 'f95062a80935d493826eceb4e7d77655d10fe3be398653d7391beb282b16e105', 4608],
  ['group31-shard1of1', 'e4dbda049f2f49709fd4198b673fb5806e1e03d852645acdf4f1b0857f3cb561', 589824],
  ['group32-shard1of1', '2af21d7664ffcbba5af49116fe97e643ac1761a0dff53af05ee0755fac487af7', 6144],
  ['group33-shard1of1', 'b082a0a4d7d18fcecbc0bd4d9bddfe52bd3b9d8bd375d0603201dfc8ce6d6c14', 589824],
  ['group34-shard1of1', 'f2053a6599e047de9e91fdf83a34097494e03f1467522797aab6ccf843ed6cb9', 6144],
  ['group35-shard1of1', 'fd2e5a79e02d66d381b115b5c4bb84495e4d6a9be613e33717edc8ed4c391a71', 1179648],
  ['group36-shard1of1', '24c244d8b8125eb206eacce88bf9b42748787b5a1f58899cd2e96e9094ba1a8d', 12288],
  ['group37-shard1of1', 'fa347a3052379e031c4aa71a7cde35e2c87f1907a2715fd2d01f05a901b35855', 2359296],
  ['group38-shard1of1', 'f008795067a5c6d654c113c3c17c96db04b2a73f9246182c902eaccdd633b4e2', 12288],
  ['group39-shard1of1', 'd45475bd4af1c142501fd3df402f4d14fab9129d549a6b2ac07dd5c6f0751d91', 768],
  ['group40-shard1of1', '06e63442b82f9a9ee53c6623b9f075aaa92a286c35d8f37ec6b6e58ff6e4eec1', 18432],
  ['group41-shard1of1', '1a31e532f7918b7c2abbf86bd4ba83357af06e13f9eecb431fcbfd43739be3e9', 1536],
  ['group42-shard1of1', '6aee67f861139d308f8c3edbd83ae1efa398ee83108b5004bab57984e7128e66', 36864],
  ['group43-shard1of1', 'a9e74c49739a0a7b8668aa82ead0da33dc5ae5adab8fd30edbb64b9bfca341a5', 1536],
  ['group44-shard1of1', '1a06e526debe9ece45ab3d5171ba0a82270187982cf74bb3f3e13bfb07e815d8', 73728],
  ['group45-shard1of1', '9bf6693d9abd3272add6936b9582bdef043c5be9ffa3c34d0f55dd45d9c3eaa1', 3072],
  ['group46-shard1of1', 'cf5d3fa48f73a4e96fabf52369c4fd3944c66c174f9a0f0c32a74f85a652496d', 147456],
  ['group47-shard1of1', 'e74b658997342f16d95bb370052f62116150f5954c71f5f0bfc39b487016177f', 3072],
  ['group48-shard1of1', '76df2c6b07777e7ac2fd2ccd50b72e5b7537a068198f896c458ef131c785f4c6', 294912],
  ['group49-shard1of1', '9ffa2bc5a5dd357e2c224f390524508ed6eb7579e440ae70785167357da84c2a', 6144],
  ['group50-shard1of1', '88858e48f4a3c8d953e281462f32971340d671f2e08e09be26ba140647264b0b', 589824],
  ['group51-shard1of1', '3279efe417072ed8a64ee5bfd6122bf7bb952a846acec74d51af5c2938946f6f', 6144],
  ['group52-shard1of1', '99bcebafa9bcb17c3045f9fb66bb956684a117a229c2b7ebb6b69800e1d0e158', 589824],
  ['group53-shard1of1', 'fb009466c7f22322df570d32f3d69d025c1450ed3226970939f69766ebeb05a5', 6144],
  ['group54-shard1of1', 'ec11ebd99a65e90d0f8a9e93d6edaa6473351553802c56d9869e433966e9b88b', 589824],
  ['group55-shard1of1', '510435e7b0a4d458a47f9cfd024ef44bf9a4c5b64add54d35f4523bcda7a8efa', 6144],
];

/** Google's ImageNet MobileNet v1 0.75 (224), TensorFlow.js layers format, about 10 MB in 56 files. */
export const MOBILENET_V1_075_WEIGHTS: WeightsDeclaration = Object.freeze({
  storage: 'tfjs-layers',
  title: "Google's ImageNet MobileNet v1 0.75",
  envVar: 'DEEPSSIM_MOBILENET_WEIGHTS',
  official: MOBILENET_FILES.map(([name, sha256, bytes]) => ({
    name,
    url: `${MOBILENET_BASE_URL}/${name}`,
    sha256,
    bytes,
  })),
  entry: 'model.json',
  cacheName: 'mobilenet_v1_0.75_224',
  unverifiedCacheName: 'mobilenet_v1_0.75_224.unverified',
});

/** Manifest weights the feature stack needs (to skip decoding conv_pw_12 … conv_preds). */
export const isMobileNetFeatureWeight = (name: string): boolean => {
  const layer = name.split('/')[0].replace(/_bn$/, '');
  return MOBILENET_V1_075_STACK.some((o) => o.name === layer);
};

/** Topology check and BN folding of a read model: the WeightMap the spec's layers name. */
export function mobilenetWeightsFromModel(model: {
  source: string;
  layers?: readonly import('../weights/tfjs-layers.js').KerasLayer[];
  tensors?: WeightMap;
  weights?: WeightMap;
}): WeightMap {
  const tensors = model.tensors ?? model.weights;
  if (!model.layers || !tensors) throw new Error('mobilenetWeightsFromModel needs the Keras topology and tensors');
  const ops = parseConvStack(model.layers, MOBILENET_FEATURE_LAYER);
  checkKerasStack(ops, MOBILENET_V1_075_STACK, WHAT, model.source);
  return foldConvStack(ops, tensors, model.source);
}

export const mobilenetV1: BackboneSpec = {
  name: 'mobilenet_v1_0.75',
  description: 'MobileNet v1 α=0.75 conv_pw_11 ReLU6',
  // Keras MobileNet preprocessing x/127.5 − 1 for x in [0,255]; our pixels are x/255: (p − 0.5)/0.5 = 2p − 1 exactly.
  layers: [
    { kind: 'normalize', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    ...kerasStackLayers(MOBILENET_V1_075_STACK),
  ],
  featureLayer: MOBILENET_FEATURE_LAYER,
  channels: MOBILENET_CHANNELS,
  minSide: 16,
  saliency: { after: 'conv1_relu' },
  weights: {
    storage: 'tfjs-layers',
    select: isMobileNetFeatureWeight,
    adapt: mobilenetWeightsFromModel,
    declaration: MOBILENET_V1_075_WEIGHTS,
  },
};

/** Multiply-accumulates to conv_pw_11 for an H×W input. */
export const mobilenetMacs = (height: number, width: number): number => macs(mobilenetV1, height, width);
