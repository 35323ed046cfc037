// Known answers for SHA-1, SHA-2, HMAC and base64, taken from node:crypto and Buffer (the same
// references filters/lib/test uses), at the lengths where padding and blocks change: an empty
// message, one block less a byte, a whole block, a block and a byte, and the lengths where the
// length field no longer fits in the last block. Fixed values, so these specs judge every
// mutant of the hashes in milliseconds.
import {
  Base64Padding,
  base64Decode,
  base64DecodeBytes,
  base64DecodedLength,
  base64DecodeInto,
  base64DecodeRaw,
  base64Encode,
  base64EncodeRaw,
  base64Error,
  constantTimeEqual,
  constantTimeEqualRaw,
  constantTimeEqualString,
  Hash,
  HashAlgorithm,
  Hmac,
  hmac,
  newHash,
  Sha1,
  Sha256,
  Sha512,
  sha1,
  sha256,
  sha384,
  sha512,
} from "../index";

const SHA1_KAT: string[] = [
  "da39a3ee5e6b4b0d3255bfef95601890afd80709", // 0
  "bf8b4530d8d246dd74ac53a13471bba17941dff7", // 1
  "4201de9f98cb0a9b8cf52398be7802b55d45266a", // 3
  "63ac9708fb581dd150d3647549f9e0cb51dcf1df", // 55
  "5a0c4d0eb2f15e05bbbff6b8dada9ae767fc03f0", // 56
  "4e77d3077d2ab5167db3434c31cac3d15a3afc12", // 57
  "d94ff3ad53f9b9327704b812ee9c1f3abbba3d48", // 63
  "5f55a35e13f1865e7ffc22dca1275b1a49b0ff56", // 64
  "d7f8931010f8342a97383e1410a58c47d057708b", // 65
  "6f3940d34dd76944c03f3ba2825a385c92d8300e", // 111
  "8968f10b24861960792c092aced440e6838b7c3a", // 112
  "bb8c69020b9ab5873a33d9b54d721bd60d8562cc", // 113
  "774001b5ad1f46b40c48e1b94cb092c593ead25b", // 119
  "6ebf3111dc761f11b13f29df0484848785385973", // 120
  "82d007f6e7e5672722c0717b6bea2ba6f17cd35c", // 127
  "0a44ac02432f6ead67d86fcb70a4d8ce589e50ec", // 128
  "461b146c523c63566b8bf8852dc8462116cf2e3f", // 129
  "bafd66c677716439f129c10ff429fa9d431408ec", // 200
  "7461968a9edb9b418224f1acb305d2feeaa10ba5", // 1000
];
const SHA256_KAT: string[] = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", // 0
  "4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a", // 1
  "6ab0dba1f4f1dfbb37b4f9eeb092c09fca4900ad32bdcd147d8dde35d6c87c35", // 3
  "81afe5b788dc2ce138ff83d9b20164db75a94d75d2b2432eea4a0ef605088c72", // 55
  "2aba54f0ac632420a2b502431408866e40e1d5e430df4cd822642c78ab2eb9c1", // 56
  "903284efbf9100e8ba1614ec65eacacad125e03f857cae7acbf8b73b23e0fdfe", // 57
  "733d3d4ee79ee67145bf73da13588f6f235d37414fc64b14a2f00f1762792f5e", // 63
  "79322907b3e9d013d7dc2c2f256674dbf733045cde01df3539271c6f5605feb8", // 64
  "d85c007c6eb440f085afa2b84f6f2bce4658b240e9f62cb1364bf0485a57e720", // 65
  "b41ae5233b9ec35d8576a032034d2857b667a618c7038714d727d4dae3aa2525", // 111
  "0949563bc78e5ccd85603fa20368a33ed3d2da0141c8284a3b1515fe4683cdd7", // 112
  "797b138819c4658ac5a0117ffe7d88f2b1f2943217dde961bfd364f1fd102a8c", // 113
  "6c87eedf096b345de205b702e5223b73b447a3207791ded3ea007ba15ed6736e", // 119
  "42500cf6a1e3936d6b9e0bcfe296d654b63255e525487d3634d0b15fde591c4d", // 120
  "68f6ff710276900c0ffbbc57426f67e00c2e01f0750c7edc25ac06b8ce7a8095", // 127
  "489d55fea9a73af36b6dd0be7b4117d8e5683386d39544e8a44c99a87f368707", // 128
  "4e1556b2e9a50a3cc9478f3254727b01065f9ac5d2c3a8b4cd538ae7240bb87d", // 129
  "8e3f3819b4f1b1f71c011c6b854c43601f132c3c88b8982b20733d2b1695c593", // 200
  "6b0df76627243d095b0c4400cb658b7e804dd03461cc03aee8fc8fe0bcada168", // 1000
];
const SHA384_KAT: string[] = [
  "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b", // 0
  "8d2ce87d86f55fcfab770a047b090da23270fa206832dfea7e0c946fff451f819add242374be551b0d6318ed6c7d41d8", // 1
  "de5060203c58b419f136c17666d339a05705575827e3600f0475f6fb3089870aede26c5a0903dea5938bcded4ee9e619", // 3
  "a1870e5e4818b0a319866894d848037c75eb7c400de4af9d321dc7e8770ce8f4f272a1f226f4e9c5998bc281170a6a80", // 55
  "728f7264fde2c46b684401c7a99ea82849012172552660118003f4709b2187ae9c16de5d48743e729e3a0361d46600bd", // 56
  "8d3cab9c948dcc7e2dc0a4fa00befd4a8e56a28a5771b9f1a4f91e9aac976c952dd084181fbff76bfefa6aeb478efbb2", // 57
  "7e874bc2979240a22003c7f594445ddd65b23ea826f0b9137a3bfa4003d00b43be01c8228d88627f657263afcfc64ccd", // 63
  "1c86511a3851b57a6d275ed71c4f8ce6fec2484b73b4ca7fc91d46ad6c74f7fb75a466f57f8244c1143694088ca09f82", // 64
  "8a0830082154726826545585103892aa1a986cac820eb31d9753148f0f1d56804ea275d6eee1c878507ebb0eef57f1db", // 65
  "2d39d5e0ed0fd40cb20c860f006219e5299b31e647cd809c21815adf1e0530d707ba123fdc88f0a870aa2b0e2714307c", // 111
  "babc028556f2216d92f9031cee016565a505209a02e8a8f090fd0164044d5b4f7941a950f40d257624d4c18d506d75e7", // 112
  "5830babc023a964e31a63f004364bfc3b60baa9b392f1e8ed1fa7df7c9de864fe691dfc53ff180f31410a677ad8ea490", // 113
  "6d1e1d4b4b09b453597ebd23b40d279f83b3b3069f5e16621e291fb2a04fdd4ab55fc0ad0ccba1d962f492c08cadb987", // 119
  "1ceee1153e653990162018e498cb0971c44e2c9993d1c206818500f3e17c123c481a2a125e63c1dd84c21d6b5b5a6195", // 120
  "d93a1b0c55394b85b694694f0e5e752612485f4011c687b11bbce979bd44346500eb76091df7bbff63d134c6b2ba30b7", // 127
  "8d22d1dc71336ac63e155f25e0a80c17520502f1e55c26aab685c5d1ed75185dea32236080adffeb53dce3882df374a9", // 128
  "97c3840582af9f000797553d6dce492e7f259c4e9693bfeb81932521ef273c68b02e637d9019db8456095cb05a2c014c", // 129
  "694f21901b5fbd3933d5d332a391d39f611ef5758c83f49f1ca1f00757f55721206985f0e42431a1a4cf20f42e5f6374", // 200
  "12989fa854607a6cb8a15ba9a0d640e9feda08edca8edc2ce48c811a51cf67e41e1315810d82fecd1349533f515ccbad", // 1000
];
const SHA512_KAT: string[] = [
  "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e", // 0
  "7b54b66836c1fbdd13d2441d9e1434dc62ca677fb68f5fe66a464baadecdbd00576f8d6b5ac3bcc80844b7d50b1cc6603444bbe7cfcf8fc0aa1ee3c636d9e339", // 1
  "8853167ab14c043919981a6409307ef68b5b726f4b80dcab259daa24b7cabcb8b4bbfd3e2e36ed98465059661f672e6529cdcc673e7eabfa78dd3186745b112a", // 3
  "19910fbb344bf57448fff9ee9a58106f31e23a8a339aa91f8c31e8efd180595f6aea94cf4abb7262b5d93e3d70efc38703ccc204e3a3b95faa54c503aceb3f62", // 55
  "87fffcf68777e021d6068baeb18a877d98dd19c758435d1964f96d26865a00060a0f4493381d59414f483f38e72aaa8fc364fd0605a2aea92c709861e28b43c9", // 56
  "577e8427aa803d27d229631825b02abc0df1cd75ee9f0d9ab71dea6b77964e00aa73efe4f7466be74d8cb1ea8340247348d25bc23f15be12473bd2dac47a0b2d", // 57
  "a2df1363c3caa5f2744cb66cd03885632cd6fe8e8c9272976761c7eb2b0f438247a201902914ec616b3b38352efe6c3457a0e90b8e62ebf8ab99f9d92b8fb4db", // 63
  "afba2b1a4441b2333a7f48688f7a6e3839312024bad590da5237c383821c3a9ea75ffba852ccf5b85d87726128501dbd6b8073cbc85c091f293f683542c3ed9d", // 64
  "2cbdc26833af6d9d8d4175d4cf30278d4184810bfc30110fa796fb26b1fcded85f58847aabce07308851e81bdf4c7bd40a08a7f81a3570235e61175591bd4539", // 65
  "df79e18538ec82120d0eb59f92ade93fc786e47b5c622121a065503708882f7801fa4b115197504b74feb420ee58fb85718ab98a5bf461bf7f8897472c26be4d", // 111
  "d7377bc7047400daa33483946a6e2ec47609bc5f64b8309effd8d38b764b6ef250086511cc4cc9b4e5806613ecdf2a7b86ffcf0b9c88a571b869b32dfeca4b0a", // 112
  "69a127d193a5bd3239535d093dc71c32c34df13d2b1982a7f46035a1f8a984308cd559257dbde17c8ddd8299bee7018b832e45c47ec7135055176579797c40bd", // 113
  "1efae71e30c3bdc6cde724788736a10053fe52f4ae1841dc25003aa000a35c1be915429404dc73719cee9945f55b816cc3390936885bd78ce11ec56721f12957", // 119
  "ad2a8e4e76a1d9eeca549852ed03e8bda1590120cd1fabe7f7d6f0b211be0b1d58b833091ead363c5c9564938efd45ec95830411e4a5c19de4d613dd10aad2e5", // 120
  "82b7fc0e1e5d1bb8e56e25cef83ba1205d3b3b44c9efacb33b11b13ffc47d1502beb4b9cc885239d9a03a255757c582ee9aaa270c742f8bfd959228443704bf5", // 127
  "eb5119a4c3e176a3e0cb2bf8a6237bdc1e474f9f501f27c84284d2289b1ade3a5a1913236a2b771e0f435f2a9b17792eb23eb92248a199f991228ff65de55d09", // 128
  "06e68bf71185b1fda1d64bc8dc221aeaa9040b40d202d6030f840940ff2e530056550e68bd5d7a68d6fcf910077cd5b6c0befa877a436ddae766dd278592d2b6", // 129
  "4b103b9342b3e474a2b13f499150ba84992a152a6c5f7a3fac1cb6a2950328bd72ddc335068b71959a9c07722da4134f0d1fae1d0024a86f15c2984d1760618b", // 200
  "5c9833a6b6d14cabd5256ae50e9217163760d44bafa40d2e0e64ee13a2b74ec3f10d965a04c7381d12383c59ee449c75241303eb3806dcf1d8ca0c566fe1ed6a", // 1000
];
const HASH_LENGTHS: i32[] = [0, 1, 3, 55, 56, 57, 63, 64, 65, 111, 112, 113, 119, 120, 127, 128, 129, 200, 1000];
const HMAC_SHA256_KAT: string[] = [
  "9bdd88f1c42e1a625481c3a65896b123bd38088c969a8f1784be72fb51d6bc13", // key 0
  "3118650bbf52811b83b2ae019dc383a95c7a16ca3770d39554e1573cf22a48d0", // key 3
  "8bd921fdbcd2ddc97789796aaa76670c4448d987205575b33cffaf023039dfc6", // key 63
  "725b2526a324995d01825f4f95e0642a5703105ba402deeb7ba92bf73542d150", // key 64
  "7cc0ce8365e3e3b7dbbe8a41ab9345f21f5e93ab1b513ef4002849880892d22d", // key 65
  "0f2c8c9926fb7871ac16a2fd316e149d10dc3c49d797ec4a37057350bda7c786", // key 127
  "49ccf21281173bec0aef12e21c1472cbc0118f5771cf401395f5c0dd9c48fe4a", // key 128
  "fac7bbe50835c036bcdee536115ee28c822726d347d35eb274af811143563e32", // key 129
  "a514bd62b66bf43a7af97fb6fc5c91efdb888e274d31e5c6c2c5537076eaca22", // key 200
];
const HMAC_SHA384_KAT: string[] = [
  "e6eb56c4311c931ea72a6c19bd1eabac293286aec1d619304589496b22b809a0f907ef6509df1c5cc03608c6d4448133", // key 0
  "8a29382914278ff701ddeaf32ae800a6e3cfd46f196e266a08bc50696f0e93c44ed5c89d9afc62260f9f9929c37e8ed6", // key 3
  "d1a64d492ae6799e55ad3ae3026ba846bfc8312b157b78853173febae3bd9744d30b1dcf9d322725eac1826da14cdcdf", // key 63
  "a826352596141c0f88876ce5eec4cdefc464775a39f40ec59a1f901a30d1a3d28a8680e70e210a01f0f0d95bd6c4f43e", // key 64
  "484c735e75cb0b991861ac6168503086ca31833286be435aa90a97443110d6669bbf06046be7319da5fc90516680bdcd", // key 65
  "1701271ee8a67c91e0ad357cf691acc2b57de6fd265329f8a616d64771f3a331629b2bf14db84d416f750346d6fdea50", // key 127
  "ad821c0c2b7aed1e1a520a6f026a695d454020058f9dfd5c7361e51cb4dea3a6f83b982effe3e12bbb9e2d5e49fe6ccf", // key 128
  "f34e3c7160c120cc2810cc10fa16553884b609fb90b24e76c340647a27d0f61ad6a468bcad3c12bc54ac83cfdaab45ea", // key 129
  "9be4eb05180b340927ea11ee421bc608c633b76716e21e9d811c939857550654d593caa0f2f4f9d86d45d806076d95fe", // key 200
];
const HMAC_SHA512_KAT: string[] = [
  "f01b54effe86b8b4792e172855501e470fb907a9133233070cc056ba1031abf6479f697aa0fdbadce60a953c247d3670e6b33c9dc3261a9b195460ea21dd72e9", // key 0
  "3cd5ecbfcaa7bb589f0a150c69e17ca82cdb91f51dab05b738ad64d3bfbd25bfd1bfb6ad7523a335ccee326cb08b08bb4a43c91d2ed3a33b7aee25280ab4bdbf", // key 3
  "27ebdda2b318986c76c35e2af92c93259852c9d215b2e81d8c421195526c88ca29a0c008847ef957c39ca0546b91c2d9bfdac6c8a1d8856ddcfb336bad816af7", // key 63
  "e54b616e2693d4df4ce04e3f6dd4e1e73afb173e80039c785d3df3989fe2b7c087ef603acc0f0fb3a47631c79a3ed2dde0e066847d100a52dcb11cf0c85d36e5", // key 64
  "d94465600e5e94dc01f03c368985ed20b5d58d907cc7bf772367aa984ecc97eb408967a704457d2d74d3e2f0c1a59fcd7031546ac3001a9a58f619f337f6e371", // key 65
  "dedbbf833053b19616cc6b8332de9aab0def2090350098e3980443c3b89ed5c55d6448cb2b334923b39c3452c7fa8dadea38345948266dfeef77088130e10647", // key 127
  "c9de9001f4f7ba987220e305c55f973806fed5e88c5677aac27df97eee6edcf745a1a14574a6fecd58351e3c1f3641757a417e79c4501b9f8197a149d0cbdb1e", // key 128
  "119838dde573602aea5452cee2e46ef98f06c8dbd480feb3e24b438445db5278c4df41b65a39f540ffb179e7e35d2b2a871055fd119d0e28fd293db8f5450f97", // key 129
  "4dd55b93b42f5ac94dbb0e38ae71ec02719ac47ac86d48e50b5bc23f5e11a1460c7ebd912ae947bdddb2199fd04e57c150ee96d1f028757589a901ea1dc4737d", // key 200
];
const HMAC_KEY_LENGTHS: i32[] = [0, 3, 63, 64, 65, 127, 128, 129, 200];
const B64_ALL = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==";
const B64URL_ALL = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn-AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq-wsbKztLW2t7i5uru8vb6_wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t_g4eLj5OXm5-jp6uvs7e7v8PHy8_T19vf4-fr7_P3-_w";


function hex(buffer: ArrayBuffer): string {
  let out = "";
  const bytes = Uint8Array.wrap(buffer);
  for (let i = 0; i < bytes.length; i++) out += (<u32>bytes[i] + 0x100).toString(16).substring(1);
  return out;
}

/** The bytes (i * 7 + n + shift) & 0xff for i < n: what the node script hashed. */
function pattern(n: i32, shift: i32 = 0): ArrayBuffer {
  const out = new ArrayBuffer(n);
  for (let i = 0; i < n; i++) store<u8>(changetype<usize>(out) + <usize>i, <u8>((i * 7 + n + shift) & 0xff));
  return out;
}

function bytes(values: u8[]): ArrayBuffer {
  const out = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(out) + <usize>i, values[i]);
  return out;
}

function hasher(alg: i32): Hash {
  return alg == 3 ? new Sha1() : newHash(<HashAlgorithm>alg);
}

function known(alg: i32): string[] {
  return alg == 0 ? SHA256_KAT : alg == 1 ? SHA384_KAT : alg == 2 ? SHA512_KAT : SHA1_KAT;
}

describe("hash known answers", () => {
  it("SHA-1, SHA-256, SHA-384 and SHA-512 match node:crypto one-shot at every padding edge", () => {
    for (let i = 0; i < HASH_LENGTHS.length; i++) {
      const data = pattern(HASH_LENGTHS[i]);
      expect<string>(hex(sha1(data))).toBe(SHA1_KAT[i]);
      expect<string>(hex(sha256(data))).toBe(SHA256_KAT[i]);
      expect<string>(hex(sha384(data))).toBe(SHA384_KAT[i]);
      expect<string>(hex(sha512(data))).toBe(SHA512_KAT[i]);
    }
  });

  it("match in pieces of 1, 5, 64 + 3 and 128 + 5 bytes, on one hasher reset between messages", () => {
    const chunks: i32[] = [1, 5, 67, 133];
    for (let alg = 0; alg < 4; alg++) {
      const h = hasher(alg);
      for (let c = 0; c < chunks.length; c++) {
        for (let i = 0; i < HASH_LENGTHS.length; i++) {
          const n = HASH_LENGTHS[i];
          const data = pattern(n);
          h.reset();
          for (let at = 0; at < n; at += chunks[c]) h.updateRaw(changetype<usize>(data) + <usize>at, min(chunks[c], n - at));
          expect<string>(hex(h.finish())).toBe(known(alg)[i]);
        }
      }
    }
  });

  it("write exactly the digest's bytes with finishInto, nothing after them", () => {
    for (let alg = 0; alg < 4; alg++) {
      const h = hasher(alg);
      const out = new ArrayBuffer(h.outputSize + 16);
      memory.fill(changetype<usize>(out), 0xaa, <usize>out.byteLength);
      h.update(pattern(3)).finishInto(changetype<usize>(out));
      expect<string>(hex(out.slice(0, h.outputSize))).toBe(known(alg)[2]);
      expect<string>(hex(out.slice(h.outputSize))).toBe("aa".repeat(16));
    }
  });

  it("hash the UTF-8 of a string", () => {
    expect<string>(hex(new Sha256().updateString("abc").finish())).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect<string>(hex(new Sha1().updateString("abc").finish())).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
  });

  it("start each message from the initial state after finish and reset", () => {
    for (let alg = 0; alg < 4; alg++) {
      const h = hasher(alg);
      h.update(pattern(1000)).finish();
      h.reset();
      expect<string>(hex(h.update(pattern(3)).finish())).toBe(known(alg)[2]);
    }
  });

  it("rewind to a mark past several blocks and count the length from there", () => {
    for (let alg = 0; alg < 4; alg++) {
      const h = hasher(alg);
      const first = pattern(1000);
      const head = h.blockSize * 2;
      h.updateRaw(changetype<usize>(first), head);
      expect<bool>(h.mark()).toBe(true);
      h.updateRaw(changetype<usize>(first) + <usize>head, 1000 - head);
      expect<string>(hex(h.finish())).toBe(known(alg)[18]);
      h.rewind().updateRaw(changetype<usize>(first) + <usize>head, 1000 - head);
      expect<string>(hex(h.finish())).toBe(known(alg)[18]);
      h.reset();
      h.update(pattern(1));
      expect<bool>(h.mark()).toBe(false);
    }
  });
});

describe("HMAC known answers", () => {
  it("matches node:crypto for keys shorter than, equal to and longer than a block", () => {
    const msg = pattern(100);
    for (let i = 0; i < HMAC_KEY_LENGTHS.length; i++) {
      const key = pattern(HMAC_KEY_LENGTHS[i], 5);
      expect<string>(hex(hmac(HashAlgorithm.Sha256, key, msg))).toBe(HMAC_SHA256_KAT[i]);
      expect<string>(hex(hmac(HashAlgorithm.Sha384, key, msg))).toBe(HMAC_SHA384_KAT[i]);
      expect<string>(hex(hmac(HashAlgorithm.Sha512, key, msg))).toBe(HMAC_SHA512_KAT[i]);
    }
  });

  it("keeps its keyed state across messages and verifies only the whole tag", () => {
    const signer = new Hmac(HashAlgorithm.Sha512, pattern(129, 5));
    expect<i32>(signer.outputSize).toBe(64);
    signer.mac(pattern(1000));
    expect<string>(hex(signer.mac(pattern(100)))).toBe(HMAC_SHA512_KAT[7]);
    const tag = signer.mac(pattern(100));
    expect<bool>(signer.verify(pattern(100), tag)).toBe(true);
    const longer = new ArrayBuffer(65);
    memory.copy(changetype<usize>(longer), changetype<usize>(tag), 64);
    expect<bool>(signer.verify(pattern(100), longer)).toBe(false);
    for (let i = 0; i < 64; i += 21) {
      const bad = tag.slice(0);
      store<u8>(changetype<usize>(bad) + <usize>i, load<u8>(changetype<usize>(bad) + <usize>i) ^ 1);
      expect<bool>(signer.verify(pattern(100), bad)).toBe(false);
    }
  });
});

describe("base64 known answers", () => {
  it("encodes the bytes 0..255 (every character of both alphabets) like Buffer", () => {
    const all = new ArrayBuffer(256);
    for (let i = 0; i < 256; i++) store<u8>(changetype<usize>(all) + <usize>i, <u8>i);
    expect<string>(base64Encode(all)).toBe(B64_ALL);
    expect<string>(base64Encode(all, true)).toBe(B64URL_ALL);
    expect<string>(base64EncodeRaw(changetype<usize>(all), 256, false, true)).toBe(B64_ALL);
    expect<string>(hex(base64Decode(B64_ALL)!)).toBe(hex(all));
    expect<string>(hex(base64Decode(B64URL_ALL, true, Base64Padding.Forbidden)!)).toBe(hex(all));
    expect<string>(hex(base64DecodeBytes(String.UTF8.encode(B64_ALL))!)).toBe(hex(all));
    expect<string>(hex(base64DecodeBytes(String.UTF8.encode(B64URL_ALL), true, Base64Padding.Optional)!)).toBe(hex(all));
  });

  it("encodes one to five high bytes, padded or not, in both alphabets", () => {
    const tails: string[] = ["ff", "ffee", "ffeedd", "ffeeddcc", "ffeeddccbb"];
    const std: string[] = ["/w==", "/+4=", "/+7d", "/+7dzA==", "/+7dzLs="];
    const url: string[] = ["_w", "_-4", "_-7d", "_-7dzA", "_-7dzLs"];
    for (let n = 1; n <= 5; n++) {
      const data = new ArrayBuffer(n);
      for (let i = 0; i < n; i++) store<u8>(changetype<usize>(data) + <usize>i, <u8>(0xff - i * 0x11));
      expect<string>(hex(data)).toBe(tails[n - 1]);
      expect<string>(base64Encode(data)).toBe(std[n - 1]);
      expect<string>(base64Encode(data, true)).toBe(url[n - 1]);
      expect<string>(base64Encode(data, true, true)).toBe(url[n - 1] + "==".substring(0, std[n - 1].length - url[n - 1].length));
      expect<string>(base64Encode(data, false, false)).toBe(std[n - 1].substring(0, url[n - 1].length));
      expect<string>(hex(base64Decode(std[n - 1])!)).toBe(tails[n - 1]);
      expect<string>(hex(base64Decode(url[n - 1], true, Base64Padding.Forbidden)!)).toBe(tails[n - 1]);
      expect<string>(hex(base64Decode(url[n - 1], true, Base64Padding.Optional)!)).toBe(tails[n - 1]);
      expect<string>(hex(base64Decode(std[n - 1], false, Base64Padding.Optional)!)).toBe(tails[n - 1]);
    }
  });

  it("bounds the decoded length of every text length", () => {
    const expected: i32[] = [0, 0, 1, 2, 3, 3, 4, 5, 6];
    for (let len = 0; len < expected.length; len++) expect<i32>(base64DecodedLength(len)).toBe(expected[len]);
  });

  it("decodes into a buffer and gives the length, from the last whole group on", () => {
    const out = new ArrayBuffer(8);
    const texts: string[] = ["TQ", "TWE", "TWFu", "TWFuTQ", "TWFuTWE"];
    const lengths: i32[] = [1, 2, 3, 4, 5];
    for (let i = 0; i < texts.length; i++) {
      const text = String.UTF8.encode(texts[i]);
      expect<i32>(base64DecodeInto(changetype<usize>(text), text.byteLength, false, Base64Padding.Optional, changetype<usize>(out))).toBe(lengths[i]);
      expect<string>(String.UTF8.decode(out.slice(0, lengths[i]))).toBe("ManMa".substring(0, lengths[i]));
      expect<i32>(base64DecodeRaw(changetype<usize>(text), text.byteLength, false, Base64Padding.Optional)!.byteLength).toBe(lengths[i]);
    }
  });

  it("decodes groups of all-zero sextets (the character A)", () => {
    expect<string>(hex(base64Decode("AAAA")!)).toBe("000000");
    expect<string>(hex(base64Decode("AAA=")!)).toBe("0000");
    expect<string>(hex(base64Decode("AA==")!)).toBe("00");
    expect<string>(hex(base64Decode("AAAAAA", true, Base64Padding.Forbidden)!)).toBe("00000000");
  });

  it("decodes empty text to an empty buffer, not a refusal, in every form", () => {
    expect<i32>(base64Decode("")!.byteLength).toBe(0);
    expect<i32>(base64DecodeBytes(new ArrayBuffer(0))!.byteLength).toBe(0);
    expect<i32>(base64DecodeRaw(0, 0, true, Base64Padding.Forbidden)!.byteLength).toBe(0);
  });

  it("measures a long text from bytes without writing anywhere", () => {
    // The measuring pass must write nothing: 48 KiB written at a stray address would
    // overwrite this module's constants, the alphabet and the expected strings below.
    const data = pattern(49152);
    const text = String.UTF8.encode(base64Encode(data));
    const decoded = base64DecodeBytes(text)!;
    expect<i32>(decoded.byteLength).toBe(49152);
    expect<i32>(memory.compare(changetype<usize>(decoded), changetype<usize>(data), 49152)).toBe(0);
    const all = new ArrayBuffer(256);
    for (let i = 0; i < 256; i++) store<u8>(changetype<usize>(all) + <usize>i, <u8>i);
    expect<string>(base64Encode(all)).toBe(B64_ALL);
    expect<string>(hex(sha256(pattern(3)))).toBe(SHA256_KAT[2]);
    // base64Error decodes to learn whether the text is valid: the same must hold there.
    expect<string>(base64Error(base64Encode(data))).toBe("");
    expect<string>(base64Encode(all)).toBe(B64_ALL);
    expect<string>(hex(sha256(pattern(3)))).toBe(SHA256_KAT[2]);
  });

  it("names each refusal and where it is", () => {
    expect<string>(base64Error("AA*A")).toBe("invalid base64 character at offset 2");
    expect<string>(base64Error("AA\u0000A")).toBe("invalid base64 character at offset 2");
    expect<string>(base64Error("AA\u0000A", true, Base64Padding.Forbidden)).toBe("invalid base64url character at offset 2");
    expect<string>(base64Error("AA\u00ffA")).toBe("invalid base64 character at offset 2");
    expect<string>(base64Error("AAAAA*", false, Base64Padding.Optional)).toBe("invalid base64 character at offset 5");
    expect<string>(base64Error("AAAAAA*", false, Base64Padding.Optional)).toBe("invalid base64 character at offset 6");
    expect<string>(base64Error("*WE")).toBe("invalid base64 character at offset 0");
    expect<string>(base64Error("")).toBe("");
    expect<string>(base64Error("TWE", false, Base64Padding.Optional)).toBe("");
    expect<string>(base64Error("TWE=", false, Base64Padding.Optional)).toBe("");
    expect<string>(base64Error("TWE", true, Base64Padding.Forbidden)).toBe("");
    expect<string>(base64Error("TWFuTQ==")).toBe("");
    expect<string>(base64Error("c2VjT")).toBe("invalid base64 length 5");
    expect<string>(base64Error("c*VjT")).toBe("invalid base64 character at offset 1");
    expect<string>(base64Error("TWE")).toBe("base64 padding (=) missing at offset 3");
    expect<string>(base64Error("TWE=", true, Base64Padding.Forbidden)).toBe("base64url padding (=) not allowed at offset 3");
    expect<string>(base64Error("TWE==")).toBe("misplaced or wrong base64 padding at offset 3");
    expect<string>(base64Error("TQ=")).toBe("misplaced or wrong base64 padding at offset 2");
    expect<string>(base64Error("TQ=", true, Base64Padding.Optional)).toBe("misplaced or wrong base64url padding at offset 2");
    expect<string>(base64Error("=")).toBe("misplaced or wrong base64 padding at offset 0");
    expect<string>(base64Error("==")).toBe("misplaced or wrong base64 padding at offset 0");
    expect<string>(base64Error("TWFu===")).toBe("invalid base64 character at offset 4");
    expect<string>(base64Error("TWFu====")).toBe("invalid base64 character at offset 4");
    expect<string>(base64Error("TWFuT=")).toBe("misplaced or wrong base64 padding at offset 5");
    expect<string>(base64Error("TW==")).toBe("non-canonical base64 (unused bits set) at offset 1");
    expect<string>(base64Error("TWF=")).toBe("non-canonical base64 (unused bits set) at offset 2");
    expect<string>(base64Error("TWF*")).toBe("invalid base64 character at offset 3");
    expect<string>(base64Error("TWFuT*", false, Base64Padding.Optional)).toBe("invalid base64 character at offset 5");
    expect<string>(base64Error("TWFuTW*", false, Base64Padding.Optional)).toBe("invalid base64 character at offset 6");
    expect<string>(base64Error("*WFuTWE", false, Base64Padding.Optional)).toBe("invalid base64 character at offset 0");
    expect<string>(base64Error("TW+u", true, Base64Padding.Forbidden)).toBe("invalid base64url character at offset 2");
    expect<string>(base64Error("TW-u")).toBe("invalid base64 character at offset 2");
    expect<string>(base64Error("TWF\u0100")).toBe("invalid base64 character at offset 3");
    expect<string>(base64Error("TWF\u0141")).toBe("invalid base64 character at offset 3");
    expect<bool>(base64Decode("TQ") === null).toBe(true);
    expect<bool>(base64Decode("TQ", false, Base64Padding.Optional) !== null).toBe(true);
  });
});

describe("constant-time compare, edges", () => {
  it("looks at every byte of the first argument, and at nothing past it", () => {
    const a = bytes([1, 2, 3, 4, 5, 6, 7, 8]);
    const b = bytes([1, 2, 3, 4, 5, 6, 7, 9]);
    expect<bool>(constantTimeEqualRaw(changetype<usize>(a), 8, changetype<usize>(b), 8)).toBe(false);
    expect<bool>(constantTimeEqualRaw(changetype<usize>(a), 7, changetype<usize>(b), 7)).toBe(true);
    expect<bool>(constantTimeEqualRaw(changetype<usize>(a) + 1, 7, changetype<usize>(b) + 1, 7)).toBe(false);
    expect<bool>(constantTimeEqualRaw(changetype<usize>(a), 0, changetype<usize>(b), 0)).toBe(true);
    expect<bool>(constantTimeEqualRaw(changetype<usize>(a), 7, changetype<usize>(a), 8)).toBe(false);
    expect<bool>(constantTimeEqual(bytes([0x80]), bytes([0]))).toBe(false);
    expect<bool>(constantTimeEqualString("a\u0100", "a\u0000")).toBe(false);
    expect<bool>(constantTimeEqualString("ab", "ab")).toBe(true);
  });
});
