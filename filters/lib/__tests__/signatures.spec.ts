// Known answers for RSA and ECDSA verification and the DER encodings, from node:crypto: fixed
// keys and signatures over the same 100-byte message, at the sizes where the code takes its
// other paths (a modulus one bit over or under a byte boundary, the smallest modulus that holds
// a SHA-512 DigestInfo, PSS with the longest and with no salt, an exponent of 32 bits, a
// public key equal to G or -G, and a point whose x is at least the group order). Fixed values,
// so these specs judge every mutant of the arithmetic in milliseconds; filters/lib/test checks
// the same code against keys node generates on each run.
import { EcCurve, EcdsaPublicKey, ecSpkiDer, ecdsaSignatureDer, HashAlgorithm, RsaPublicKey, rsaSpkiDer, sha256 } from "../index";

const RSA1_N = "c05b589c33aa2c5555d05944eea8c2557054d48691f5db06dc224b3ba1fa0f9b70a9d65b1019a9829c8e50ce5c51eb8f48c1411dd579000cd7fca3a82d02ae48a529bdc374613d7720d96116f6ff71aff4b1746243a4da6e8edb82165201d9838d7b01d8ea1e79df0874a72c9937dbbed83040bf3eea4ab333b0fe9b2d4533898ff7ba071ec6f106e8a6ad5e81434151ff8e6196f7fe56ea1f44aa82cf84e4ec7562879c96bd0ab5a7d92e5b70068254170456e7cd7d0effeae9138917cf74d11a0e1b71200edc026f4f4fb2220f963314f85b5d38ccc33b0c5638c39351ec9e8bc55bbd6561c3bf3cea65745bc1fbc841e84b73dcbbaf3e3682715cb1f1c0bf";
const RSA1_E = "010001";
const RSA1_SPKI = "30820122300d06092a864886f70d01010105000382010f003082010a0282010100c05b589c33aa2c5555d05944eea8c2557054d48691f5db06dc224b3ba1fa0f9b70a9d65b1019a9829c8e50ce5c51eb8f48c1411dd579000cd7fca3a82d02ae48a529bdc374613d7720d96116f6ff71aff4b1746243a4da6e8edb82165201d9838d7b01d8ea1e79df0874a72c9937dbbed83040bf3eea4ab333b0fe9b2d4533898ff7ba071ec6f106e8a6ad5e81434151ff8e6196f7fe56ea1f44aa82cf84e4ec7562879c96bd0ab5a7d92e5b70068254170456e7cd7d0effeae9138917cf74d11a0e1b71200edc026f4f4fb2220f963314f85b5d38ccc33b0c5638c39351ec9e8bc55bbd6561c3bf3cea65745bc1fbc841e84b73dcbbaf3e3682715cb1f1c0bf0203010001";
const RSA1_PKCS1: string[] = ["883a470219717f0443606f09e09a0432780e075d476303c9b000be76011849549d441c5224fc1a60b7de2a59cd61c9679746d91282d24588119e8b436e06f53032d2bbeebcb001d32803139fc7bcef08a374779af5f65cbd9fa244d3944187c6427422b17e1b26589388754f517fb93838dff9f7f789b53f82f02385e4daac1dae08bc7437bf5a9265bb254897338024034fb394a4a1141643cafc2dca62403d1508e32ebabfe7d44e197458a778d24777e5b233236dd6a321e6bcbcf1911bda90ec5b1565aeccbfdceae65cc506e21c1c7c4a2f798ded345cd85241cfdd358c59eb5c07ac64e7b4233e6be427904e9dbce8f5be83ce535c45b7f4d42daf760a", "ab0aeef3a9482306a834b9b66d37b3eb64ef52ac09bfbcf1a0e45ec3dd1b5f5281b1e5fcde2bb762a3fad0d3840fb2499b9a1fcf5c5ce9ba6188c03f12548facb6ab48692197ade51e7d78cb80f18a58d770c1e5804b6388d033c3397573a90da7475293e57096c7857b6401ee74c076382ca4cd4078c6fadf1822c0d5a36c869f80ba4963daf2474b24c1380f5cf0696c764cf3d3be85abc11469e242c4b90293dd54e3b95b13a35f469dee380b21c2f01d790ea888d10c2c6b172910c9bbd8356bfe120134ec79a5e6f7ba51c6d7c9df210c6b5c39a6eed9aeef8947e003c95522c61be18ce7438493d8b0c8ee7ec7c5d19d63edf2e53bbcc1e0c3bdd64eb9", "2d0c4a20965adc6cde049ddced29cc46cb3407fda17639c0598503f54635addc18b9b7067351cc7de237d3602d49f3bdaf4c2fc613275eccb91f066af6c798f3b555aebebdd5fa3ca0524432edc288ae35de0e4dde447be6ae70223f7e22d8644126f9d91ad57e71c72f4de85872f6307e89e43bfcb2dd78bb83d0b3f83402fdd25a1bd7fc1c00f0631426555c250ba859b6cc0360d02f7793bc4f85303fcf7f3f18bc836ae59bf279c43c928dafb54a4effa670b1c042b4209532f190de3cefbf878fcff635dc7d08fba42ce4162474c0a3b97460be431813c95bb017676dbb3bd358099b343ed2f360c9ae3f17f11c5d7679bbfa82b141764d7339ac317f5d"];
const RSA1_PSS: string[] = ["5aae9136a71ed87d07270db30b395bd580860b1824fc79f6be462baa82aefeabc92c6c1cae1630db94685d6df8f3d661b07b32f0bc0d9dcb07e1f88cdec15e1bc801e0b54340cc04ec2abc583ea23ccf05b3e3d7104b27a085ce42083480626eaa960c629b37dc4c4c1e2eb95f0903d366e4b5be410c8278f0054961b7507f78aae98a33a5c74e1fdf22ae4be078360836c9955357db45aedc2843dc117d8a9d2ce54b88bfa551510e661a2aefd4f2cd9df4cec67d553b26d4efea1d60d289ffb4522421f94739ca308eb71db78f1b6d88bb5d8f2750a822f1552e0b161d8e30cdcb15b1ba83c28e55b45dd29ae5353b1d34808458aa51f61d3c3339e949ef6e", "557d4367d418b1ababd02013ecb8a04e0d2a117c238204f985461fa3c958d09b06bfcf22a5b94466280d2ed974fa7dee91e7e4e8728c649efe273f6c61a28f1665aa464660a8b90a304dba0650c01b215139412293c475d7b17a9293dc2163b5b71cf13dd0aed540a40d048efd7759ad627f91e9029dae28794faf94e0e1eecde284eb83ab8eda53c76fc36d45f4c807134d2cecfa45005cfee658f150b5d84af884af4edc8e779b5068e5551e2e992437fbc6780eda124a7fc11c2fb88fc3b867989632a9c178c0e34c669deee12dbc4d3ac6597ca946f4e71071d0929e30b3f1624e1d10b2fdf0a17d4cb6420e94f43b3e3986850b2e00a47238573612dc87", "9947020e547c7563cfebc6d14dde2d9e962a1b6efe9faee46a06018b440b5e03eb724e76135ee7eb7770a88e636d8eae8c64c56542612398843dcde257b2fb8b8f7d78b3ccdfb4f7c8af5a0e0c273e5fb1c983ddeb05fe666b48f3f4fa66a0d916220a05ae25401cc82ec0b7958d2874d4241b77eb3c726a58e0772392e52009c0d4422f0779960227a4b748bececc779b4120edf93fdec447d0491d2ab42dcd23fabc5632a6df3352018d30efa71824551345c27d48a5fd4928ec37f30d16e91e20d59807bb46898ef4c15b8274ffc518034c646d20524f7b664a055afd228aebf3e458a0afeed66adae4e798ffa25d3da8696b3df4a1ef6cc4b8a5e5982fc8"];
const RSA1_PSS_SALT222 = "3cb59bc4d274e84573c19812c571a51ed788ed9003e6c0c733addac5d49f513b1280abd5974245fcc607c015e3cfd1559c18d136a92ae5cb6a236a32e82802887d5c22e16c616c03381373bf4e024c879586021e471cddfdacc08166566f1999bae8a44614cc9a81ce11f2719366d2f4301c2b492140519a31e1a0cd39d6807cb03d78b322f2bd8debf09865414e81ec7fce7cedafcb22b7cca7c0b74a3688b15f97e7dbf389925eb61e44266e0b372e43c4993f0a9aa6356410d4ed4858ca22318752122f03854d4f91c7627d6d87489032dbeaa3b0fe32d1d7eb8919f1cd113d4b3d19918b9ab739f7e613a07e392a6196755575ee40ca53f58ed0afd91093";
const RSA1_PSS_SALT0 = "3cd5b4aa6952d04a97f390d43257e01af41324263a2e713d4f4b2e198f747b7cb415b733f38227947a9164ca344ce578626d2d0ee6fd1d798a25f525216a39f6cddf65b913f55db61a0190db3cd9f04ed4e52e006b679632f815559e9095042675ae835dda6902687f0141820c84b37b39cebeb0785c26a433a550a18f1d26a61a27824c2072093bd1a116d2b0900e4edf56acccccd83893a4015b1c431aea571e1f4c26cc676d27582b231138160019d9639013d1e2b670a9e57ec09ce573c47ca37141e4c3c0fef92e629f29dffbb6e4f8bd87daaaae89776788ae5ff20e87a8ef6032c6cbb3e0a453e7dc8bb289801dc203807474a0c2132f72c9a0a4d9f6";
const RSA2_N = "0183724555117ca1ec7bc997079a92d7b9e64fe5318049648d3d1d9a485e507a029b9440134dd769af17d5910fa69c79a33e31aa342a2562e7a74c697a853c29bdaaa0e67aae36ab2c8e1d13aa0e613965c15a3c6efc61856a7e5162796c6f6e131eafea0c4a4abfb924bf5cfd174e237d2c7ede0c4e07bedba07690bbe0641ca02ee12e037092da34034cfa71aceef95951a7b12c3e9975061893bb8921ff8f1af446ce349494efab33197c4cb542aeb21cd2ce6168d72937096dd98fb81615896ed2e14c0caa298581a02d8fd4a174d6143c0a9b4bfc8d6c53c0fcd33358f0d91ee6dd54678d46a2547ee1a0fc3fdfd267daa8c9768de529c209d849e2354037";
const RSA2_E = "03";
const RSA2_PKCS1_SHA256 = "00f6a43ae775fcc1a357f1dd744aa52ce119207bfa6d67bb4a09afff83bb9959674a41625152d764467324094c36d668d38e2b97b460d88e4ff9ed2cc7f3bef8f826ffb0b70ca00a771956edb26b5e32b8ab5ee9859616869946a4c7225defd13ef8d8cff4d3101144756cb0124e03e800bca200db612a18e208843266ea21ef6096e3d43296d15d40a76f4633a5863a3733b9b0c63973dcbf31815fc5ed388cf8778035e2da4e4467c86ef6ff3e8daf25717a96f7e625e82275e479e5a4fa6d7f63bd9187a650562a093a1a3b672a4859781785b0b29abd5d52849836d772dda51e01b2746d068a35040789c05de2a4eedb9b46ec685287e752986eb7e16439eb";
const RSA2_PSS_SHA256 = "00f7c18520944cf2dd6409fdb36f0adb0dc804ae5f901e4d66e1b0311a94b4e5609fe7bf875e08d43244bfe1a7a9838c7866f716899bf9f62279d96eeba3e48d716a5342f9cf787e9ab197c86ba34945062a1507ed9a82682be20ef82a52df86bfe559e775193b96b8c81a34649d7f19bd7cca802dc8bbe809540c67fe1ea6d23986d8857a5a2524ac8b39a08fbf3d28458fd5f82e13b66785e3630a25638e30d9ae47bd1978a13767b9923ff1730144aed1c45b1064e8ea1137de5344cf6ca4bc6398b1d33bac4407e33d2eab3011ff530d1c2d3d2bf632c725e7bd5116ab81ced6c2c07e64beb55f4f4c91c6def4d354e41e9695e9040a897b343cea9ef5d075";
const RSA2_PSS_SHA512 = "00543090df13a4298241f9e0681995770b15565fab33a71f78301e21fb6ea044ba15d0b4aa5a3ecf1bc1c793717213bfb4db81ccdb360e844d997a2b38a27339d368b7523d869b09980e4ce8588f5e73e10f87e9e73ae775072939c87aefc44da527be3d9c1529b6b4bd2633b846ce8a8d8c8061811f7791b87addd861ed7a9e90c356c6382bc0bb5fbbb10eee5cbe80b9cb2a715ca4806cd0343827e6a0fbc5165078852ef665afda87327fd5df0238ecd6b29e47774c9e54c268d67cfbe76981c1d8859b57e5f0adc8056a7e00314d342662b00647e49f43aed57e64384fd827ac48e04147b48e02355e12215f13361ec308bd83314201fbae52279419d2f14b";
const RSA3_N = "5879306ba95d2227ab1b8998d9070888abe5f9a930781f36d661848e30e305297f91ee4de1d859c7ca9cac69c5b8f98ae3a62e42a140494c48dbcbf5b02673764ff653f87ca21e3bcd56f3483f528036c322cf8d347f3597bba1749152432e5745070110e05651a07be6bfbf87a203e207b01d4dc684516d0ef5cd295a0837e7987ee89074dd67690f102d00a4d0d254271989a0d3e4f170615297fa2a7c3bfb518dc0c01e88cc291eb68448954365806aba9045a50c0baedef8c7e67fa74286720066ab73c036afced25db770b5fe9b53105a82ba4d42d8bed52ec3020b03375321b5d1f87d1c64b70129b9d639663cc3ad9f337f4973e687f20a9932ddedb5";
const RSA3_E = "010001";
const RSA3_PKCS1_SHA384 = "08ebbf9cf52d706e6a21e7309b76de2480452412d521f934994c7da0bc8fc32e2c463eacb2defd0c109d527b0ff0eed2620912892e250a393f3ea8bcf36fa4827bca8ef58e62fee1a1c6037351186d7fd04925f414bdb44d2689e0f35955d73f6a92b94ccaa27645934f757878336f951f5ba162dc89fdef0f6dfd313375d9c728595334d1ba4d7eae835454d7f11703ca89d38b8b5fdb967590ac39ae8eac5e164e06a7b225b1687e015f881eb4ebf37b318c3197e54326cd7427a6f6218e371f6fc5870a62585856be31525ba8620b16254262755cc4d952ce7daea7507c47521828bf216646d2b949aaac24650f8398139e691692723dbfe5c8ee5edc59e3";
const RSA3_PSS_SHA384 = "17c31f28e308531bd56654377cbcf900748410c94e7ee42f1d64f6baf47a34183439bc3d21395ad91e55ede2f91687eda565f54ff3a41e433c5c6d1ddbc353bd10bdb836aa650e2819f6c599587c66002c9611e31d059d5bfb8d6c260ffcb525a190acf1f9071b7c4e8e6abdcd4d23647fd5cadfcf6386816bdf276a34896504145b5801e4b7461d5a52eae3f0ba5dd23e8538000f842e7bc4f2ce1ba6c53f136aee3cad7a2296a4addb4540f24799b4a8f83fc65c427c3f22b81c0f54530afdbc6d1834bdeda836d190b246aba5c18c40aeaab83b6d5d69b5e63bfd1c97a19d90bad12893aebb134d05dbcea1222443b03a263451c7174f4a09df2024e28242";
const RSA4_N = "d24d92b26739ff907afd53dda88c97dc59f795a4be6bcd3c94440dd568e29bf53e9985ed85f9309aa30a57b1b9089d45dfc60a47a226b28401afe943a18e4cd7f40afe73daa5cb53011daf97297fa878225bf1bb2ad0cbb9e439ceeb052f";
const RSA4_E = "010001";
const RSA4_SPKI = "307a300d06092a864886f70d01010105000369003066025f00d24d92b26739ff907afd53dda88c97dc59f795a4be6bcd3c94440dd568e29bf53e9985ed85f9309aa30a57b1b9089d45dfc60a47a226b28401afe943a18e4cd7f40afe73daa5cb53011daf97297fa878225bf1bb2ad0cbb9e439ceeb052f0203010001";
const RSA4_PKCS1_SHA512 = "23ba4d7890b72a74f17bf1acd8e328f4df3b57c3ff2a6aaaaea46523dd341f5fb3e7b2fa020d86631d03cb00b2205e1f7b468a21198d6d12dec160e3ce5fe5a6ae38b83069507382a36c06cca5691de9eb0f36efa85ea3f77940a234588a";
const RSA5_N = "b2b519eb22e519c5850a26152e205c64057b8f7f0d8ae2a32904cd3b82f0ac527b4251af6e1561f4436414c48cd1245f609cf1c335370aeddd46e5da56b6dab782de711809c081defeb3eff1d2c36a59d0a620246d08081960c9d08870545736cfb22986b2dfe9f4e3e37572abfffe2883569e604845a5c4dcfc0217e095c467";
const RSA5_E = "ffffffff";
const RSA5_PKCS1_SHA256 = "9b706ef186de6337ad428ee8cc756abe86d8df0c1f1049824cecd1c03c001b8079b4f84458c5d3fa36124eab31abc9afa7aafa7e66d6a9ba2250d2770fc910223c5cf3c96264c3e9b5cedae2474f1419c4a9cf3b6847861e9467aa3b5900bb9ea2c53924d99d5165db7f655365462433dee9e62a4002a070e4a34c359da159ff";
const RSA6_N = "a2d58b4c5e5f2835d265122ea582e36e4e7255789d2b7fe0cfe0297969274a5941ca7f5280fc93c058b06452fc9c9cf3c7e5c373daa1745299c51bef83be4173340cc2a56047184e22a22559e991599243f57e2e66dc0f15a91d74e2a9c42c6b526393a6df34d76f25b0ff86df70d3b38689311ce8ea1eadd621d75c2c8090133d6d31713cb235cc9c91678aa6085729a60a2da26c0ae3498065fcdc9e3fd41dd57e222b7112a717ebe9402d0c20e338f59083e957fd80680b5846e19cbc43772215e5206ae6036e8708ce8e8a0afffc379ad946bee73156b843989629ad84c31d46d16984e585f2433d1f55646ed69b6626b749d7dd0495147cf91983097c45bae735feebd230029ac2e08677f580f9efc8ba1acbc2fb79d671d2350adb0055815ece9344ea05d983a6dc67743004873bd54d4f9e8d29eebd65b71468d207b6bc7803eb839825f717de1dfcd2dc8205b7a7533549b80b7dcb36cf777b70ac341c29f4264501dbff3aff643fb71469a7a7a0c3bfb9809a7d2498aa9d1ca8f9ca144e1be22c64c0a25ed28d49893ff41cf3196c3297900dd403cd2bead03203f59ee982e8f38341f745d527e8fd361e133e34e47a31def39b7ed516da0ee8c114b5b4a7b0311256d022232706e59bd2836f6bf9b2fa0bcce9fb3b5d4af9578c33c52e31e4a753f44846033ebe3b8c5c742d417159ae560d0ac7813d2e2571b3dd";
const RSA6_E = "010001";
const RSA6_SPKI = "30820222300d06092a864886f70d01010105000382020f003082020a0282020100a2d58b4c5e5f2835d265122ea582e36e4e7255789d2b7fe0cfe0297969274a5941ca7f5280fc93c058b06452fc9c9cf3c7e5c373daa1745299c51bef83be4173340cc2a56047184e22a22559e991599243f57e2e66dc0f15a91d74e2a9c42c6b526393a6df34d76f25b0ff86df70d3b38689311ce8ea1eadd621d75c2c8090133d6d31713cb235cc9c91678aa6085729a60a2da26c0ae3498065fcdc9e3fd41dd57e222b7112a717ebe9402d0c20e338f59083e957fd80680b5846e19cbc43772215e5206ae6036e8708ce8e8a0afffc379ad946bee73156b843989629ad84c31d46d16984e585f2433d1f55646ed69b6626b749d7dd0495147cf91983097c45bae735feebd230029ac2e08677f580f9efc8ba1acbc2fb79d671d2350adb0055815ece9344ea05d983a6dc67743004873bd54d4f9e8d29eebd65b71468d207b6bc7803eb839825f717de1dfcd2dc8205b7a7533549b80b7dcb36cf777b70ac341c29f4264501dbff3aff643fb71469a7a7a0c3bfb9809a7d2498aa9d1ca8f9ca144e1be22c64c0a25ed28d49893ff41cf3196c3297900dd403cd2bead03203f59ee982e8f38341f745d527e8fd361e133e34e47a31def39b7ed516da0ee8c114b5b4a7b0311256d022232706e59bd2836f6bf9b2fa0bcce9fb3b5d4af9578c33c52e31e4a753f44846033ebe3b8c5c742d417159ae560d0ac7813d2e2571b3dd0203010001";
const RSA6_PSS_SHA512 = "84fa31708742989be91b12bb0de78de63207a9a10766dcbb7c91123ba14614418ae9c6f290bb4f81a4cbe6cb1ec0548ed5f84d653f6de0fc32125e7488f94c2d290b435438f8ac7bf69340e96739de6ea4ea47436ac49df6291386247ca1cbec963920b64b5407ba3795bdb580d73a9d56546d45f7658a8b9637bb7f0eb0d21d1a634ae2808d31e8f91cab72def063aa757aa10f7062c13df32428131c852403257ca26e9f78a1f881200811f3d28c0dc10b9de42e33d1fd2c305d034473030d53f4b9c3134b9c8a89836ba2b0df6e4910f673132cf64c400c21eefcbd5906e4a74dcefe5394091aaca9719aa724b51d82dc07d48963659bd2a9f7bd895482abe68ee1f91193f9abb684b7abf4d3d6b9e9b7a7df80db300614432757b4d24dfa499637fc1ee940d9c45dd79bba1c47f047f1fa8fa08af1bcb486425f768892028d4159e58be14764b50e8129047c33db07a3eb311f9262d89d5e72ce0fab33055b9b230131a6043a766a933269209125ed8e866afa0ec475ad14de4661ad0fae3e182f6dde64a1ec8dd5b0daac44407bbface21e12d9acd364005a949ee64f61b7690f1cb6efffbedd4935859040b746f723021a8a1dc6a6a1ee1864da43c9c81848731cbe5c44eb28dfda8525f01abc74df860f6afaa8804a6c87180a5c340d6842bbcb239c2eb73b85674bd81d4f452b19d7fdae75ee1ae82f48f2a4cb635d";
const EC256_X = "64367cf4b726c89676f170d2b469f13a56295d0bd16a24349240a95d77ef41e1";
const EC256_Y = "8da657168f9ebe880d563ee7f8a2aa5a8c072a69d17e95f889e03728b65c4307";
const EC256_SPKI = "3059301306072a8648ce3d020106082a8648ce3d0301070342000464367cf4b726c89676f170d2b469f13a56295d0bd16a24349240a95d77ef41e18da657168f9ebe880d563ee7f8a2aa5a8c072a69d17e95f889e03728b65c4307";
const EC256_SIGS: string[] = ["b24a4d8ed8f90f48dc6b4f3f3978d2fe08ab9ba32f4c9a451f00e3fa77d7084fe98a0e41ed90f2ec58b85c57eb9b17677d2279c79f8c20bc136ec47215d39115", "bc05f6ebed450b7f262c720792e74efd5f9685cd8fc21093a48321b8796e790f7aeea01d07ebbc9018b731204eec86e5620d5f18c8e29f9b1d0dbb6e2e440223"];
const EC256_SIGS_DER: string[] = ["3046022100b24a4d8ed8f90f48dc6b4f3f3978d2fe08ab9ba32f4c9a451f00e3fa77d7084f022100e98a0e41ed90f2ec58b85c57eb9b17677d2279c79f8c20bc136ec47215d39115", "3045022100bc05f6ebed450b7f262c720792e74efd5f9685cd8fc21093a48321b8796e790f02207aeea01d07ebbc9018b731204eec86e5620d5f18c8e29f9b1d0dbb6e2e440223"];
const EC256_G_X = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";
const EC256_G_Y = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
const EC256_G_SIG = "75152e66f3488af391e7d04c951f9f6284c6bd2bc00dfed38fb9c3481d3efe0857a0ab227122bb4d53061b9eebd31abd0a4f2d4e5ee0dee299a7fc3a06bd3a8b";
const EC256_MINUS_G_X = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";
const EC256_MINUS_G_Y = "b01cbd1c01e58065711814b583f061e9d431cca994cea1313449bf97c840ae0a";
const EC256_MINUS_G_SIG = "9f5b24f4b39a8fad0ae44a8aca43c13d7fdd21f5d8bbec0defc7f32e7c07207eb614d2725eaa95fba0ac165ad44886252b2a1ed50db3097fb82b31ad704ab66b";
const EC256_TWO_G_X = "7cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc47669978";
const EC256_TWO_G_Y = "07775510db8ed040293d9ac69f7430dbba7dade63ce982299e04b79d227873d1";
const EC256_TWO_G_SIG = "4a9c01a079308006fda2e9651f64e87059660b33eaad87bb4b063d022d3f2c2d5f1951a53eb91e00b1a474f1efbca10a05015fba643e2a8b07a70e7f65525613";
const EC256_HIGHX_X = "b0dc963394b94bf304a4f3216531d8b888377b7860637f08ff877c2c78bcea3c";
const EC256_HIGHX_Y = "a57e743c50e7e46a9ffebfc44a788c62b200c3989ce5a646e56e3814faa3680e";
const EC256_HIGHX_SIG = "00000000000000000000000000000000000000000000000000000000000000030000000000000000000000000000000000000000000000000000000000000001";
const EC256_HIGHX_DIGEST = "0000000000000000000000000000000000000000000000000000000000005555";
const EC384_X = "451d12b13de66db93c7ecae1ed5c3ebe662a2622e14cae4232f335be91aac92a9043ac0e4f8392449c1d8a5acf8d0ce4";
const EC384_Y = "5cd05bc72329f84995e377a64f50127b95d4b6ebbe939e8bdd66f73734469eb8bd0430777434f28e9e17305bd8dbcca6";
const EC384_SPKI = "3076301006072a8648ce3d020106052b8104002203620004451d12b13de66db93c7ecae1ed5c3ebe662a2622e14cae4232f335be91aac92a9043ac0e4f8392449c1d8a5acf8d0ce45cd05bc72329f84995e377a64f50127b95d4b6ebbe939e8bdd66f73734469eb8bd0430777434f28e9e17305bd8dbcca6";
const EC384_SIGS: string[] = ["977dc1a932633f05c7797907abf1b80f7807a65a496b8392f61bd6796b12411f004c18e7997ba0a4c7da39d3d25c909087e522c07ea1ac8d0b31dd1166f1bddb419d0c61be8028d0921b2f01e35a94876d769125d7dd23c9da280cc429bbfc33", "4c306a50ba27cdbc0826e78ed946d7b9ac29d1b9e86f3d55692d6a2cd991ee936b675b620121b63e358d93840ea1bdb93c386bb0e035161df65ec1c798744378b3409a680dc124f7acaabafd36b4f203f44346d96ecbbbf800da265f55f570b7"];
const EC384_SIGS_DER: string[] = ["3066023100977dc1a932633f05c7797907abf1b80f7807a65a496b8392f61bd6796b12411f004c18e7997ba0a4c7da39d3d25c909002310087e522c07ea1ac8d0b31dd1166f1bddb419d0c61be8028d0921b2f01e35a94876d769125d7dd23c9da280cc429bbfc33", "306402304c306a50ba27cdbc0826e78ed946d7b9ac29d1b9e86f3d55692d6a2cd991ee936b675b620121b63e358d93840ea1bdb902303c386bb0e035161df65ec1c798744378b3409a680dc124f7acaabafd36b4f203f44346d96ecbbbf800da265f55f570b7"];
const EC384_G_X = "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7";
const EC384_G_Y = "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f";
const EC384_G_SIG = "3b3a6cf652333ebbf3622d7313d18238aafb83d389b33bbb90b69e3ea332d8bd8bf7dab1192bd7d56395ccea37b1b0368d61545f2ffa311435249d706c687c5a469217fd8cd27a5d93bcb9e29b22d4705942db515c113751638af1bc91e91a2b";
const EC384_MINUS_G_X = "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7";
const EC384_MINUS_G_Y = "c9e821b569d9d390a26167406d6d23d6070be242d765eb831625ceec4a0f473ef59f4e30e2817e6285bce2846f15f1a0";
const EC384_MINUS_G_SIG = "585bca80e21a5d53b8125ce081a2554e2f30ed58fd62e3e01b5d88d6b1abde39437dbf8d915255f6746ec16413f08c388de97babb305febfa27e067377173d6ae0b2649dbc8d9233e4f7096bbdf388e618a954cd47113b38bd2c79ad1e15bb58";
const EC384_TWO_G_X = "08d999057ba3d2d969260045c55b97f089025959a6f434d651d207d19fb96e9e4fe0e86ebe0e64f85b96a9c75295df61";
const EC384_TWO_G_Y = "8e80f1fa5b1b3cedb7bfe8dffd6dba74b275d875bc6cc43e904e505f256ab4255ffd43e94d39e22d61501e700a940e80";
const EC384_TWO_G_SIG = "88d0a78aa50eee398721c829f4a5a969aab45da0da20febe2ef0407bc5149f63bd4c1ccab097f542516f96558c68392951c63b98f588fd82b76265bc19aae137ff1f86470ca2dc1e2d3ddb6289bd4728112f4e91dac396f83b7adb0caf3bc72a";
const EC384_HIGHX_X = "f0243f46813989f126c3984dd001b9a4ecc543c6bdf97105a32e3c6a6acc910d5849b3ecd9de56211f5144c215384c9e";
const EC384_HIGHX_Y = "c92c3ad59d6aaff24a9de98bf311b5be619c8d7a65589db4737454323f9bd07afbcbf3d9496d84624b587c325a5c559d";
const EC384_HIGHX_SIG = "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001";
const EC384_HIGHX_DIGEST = "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005555";

function fromHex(text: string): ArrayBuffer {
  const out = new ArrayBuffer(text.length >> 1);
  for (let i = 0; i < out.byteLength; i++) store<u8>(changetype<usize>(out) + <usize>i, <u8>parseInt(text.substr(i * 2, 2), 16));
  return out;
}

function hex(buffer: ArrayBuffer): string {
  let out = "";
  const bytes = Uint8Array.wrap(buffer);
  for (let i = 0; i < bytes.length; i++) out += (<u32>bytes[i] + 0x100).toString(16).substring(1);
  return out;
}

/** The bytes (i * 7 + n) & 0xff for i < n: the message node signed. */
function pattern(n: i32): ArrayBuffer {
  const out = new ArrayBuffer(n);
  for (let i = 0; i < n; i++) store<u8>(changetype<usize>(out) + <usize>i, <u8>((i * 7 + n) & 0xff));
  return out;
}

/** A copy of `data` with `mask` xored into the byte at `at`. */
function flipped(data: ArrayBuffer, at: i32, mask: u8 = 1): ArrayBuffer {
  const out = data.slice(0);
  store<u8>(changetype<usize>(out) + <usize>at, load<u8>(changetype<usize>(out) + <usize>at) ^ mask);
  return out;
}

function prefixed(byte: u8, data: ArrayBuffer): ArrayBuffer {
  const out = new ArrayBuffer(data.byteLength + 1);
  store<u8>(changetype<usize>(out), byte);
  memory.copy(changetype<usize>(out) + 1, changetype<usize>(data), data.byteLength);
  return out;
}

const MSG = pattern(100);
const HASHES: HashAlgorithm[] = [HashAlgorithm.Sha256, HashAlgorithm.Sha384, HashAlgorithm.Sha512];

let rsa1: RsaPublicKey | null = null;

/** The 2048-bit key K1, built once (its Montgomery constants take the most time here). */
function key1(): RsaPublicKey {
  if (rsa1 === null) rsa1 = rsa(RSA1_N, RSA1_E);
  return rsa1!;
}

function rsa(n: string, e: string, minBits: i32 = 2048): RsaPublicKey {
  const key = RsaPublicKey.fromBytes(fromHex(n), fromHex(e), minBits);
  expect<bool>(key === null).toBe(false);
  return key!;
}

describe("RSA known answers", () => {
  it("verifies node's PKCS#1 v1.5 and PSS signatures with a 2048-bit key, each hash", () => {
    const key = key1();
    expect<i32>(key.bits).toBe(2048);
    expect<i32>(key.byteLength).toBe(256);
    for (let i = 0; i < 3; i++) {
      const pkcs1 = fromHex(RSA1_PKCS1[i]);
      const pss = fromHex(RSA1_PSS[i]);
      expect<bool>(key.verifyPkcs1(HASHES[i], MSG, pkcs1)).toBe(true);
      expect<bool>(key.verifyPss(HASHES[i], MSG, pss)).toBe(true);
      // Each under another hash, or as the other scheme, or of another message: refused.
      expect<bool>(key.verifyPkcs1(HASHES[(i + 1) % 3], MSG, pkcs1)).toBe(false);
      expect<bool>(key.verifyPss(HASHES[(i + 1) % 3], MSG, pss)).toBe(false);
      expect<bool>(key.verifyPss(HASHES[i], MSG, pkcs1)).toBe(false);
      expect<bool>(key.verifyPkcs1(HASHES[i], MSG, pss)).toBe(false);
      expect<bool>(key.verifyPkcs1(HASHES[i], pattern(99), pkcs1)).toBe(false);
      expect<bool>(key.verifyPss(HASHES[i], pattern(99), pss)).toBe(false);
      expect<bool>(key.verifyPkcs1(HASHES[i], MSG, flipped(pkcs1, 255))).toBe(false);
      expect<bool>(key.verifyPss(HASHES[i], MSG, flipped(pss, 0, 0x10))).toBe(false);
    }
  });

  it("verifies PSS with the longest salt and with none, only at that salt length", () => {
    const key = key1();
    const longest = fromHex(RSA1_PSS_SALT222);
    const none = fromHex(RSA1_PSS_SALT0);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha256, MSG, longest, 222)).toBe(true);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha256, MSG, longest, 221)).toBe(false);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha256, MSG, longest, 223)).toBe(false);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha256, MSG, longest)).toBe(false);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha256, MSG, none, 0)).toBe(true);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha256, MSG, none, 1)).toBe(false);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha256, MSG, none)).toBe(false);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha256, MSG, fromHex(RSA1_PSS[0]), 32)).toBe(true);
  });

  it("verifies with a 2049-bit modulus (a zero top byte before PSS's encoding) and e = 3", () => {
    const key = rsa(RSA2_N, RSA2_E);
    expect<i32>(key.bits).toBe(2049);
    expect<i32>(key.byteLength).toBe(257);
    expect<bool>(key.verifyPkcs1(HashAlgorithm.Sha256, MSG, fromHex(RSA2_PKCS1_SHA256))).toBe(true);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha256, MSG, fromHex(RSA2_PSS_SHA256))).toBe(true);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha512, MSG, fromHex(RSA2_PSS_SHA512))).toBe(true);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha512, pattern(101), fromHex(RSA2_PSS_SHA512))).toBe(false);
    expect<bool>(key.verifyPkcs1(HashAlgorithm.Sha256, MSG, flipped(fromHex(RSA2_PKCS1_SHA256), 256))).toBe(false);
  });

  it("verifies with a 2047-bit modulus when allowed, and refuses it by default", () => {
    expect<bool>(RsaPublicKey.fromBytes(fromHex(RSA3_N), fromHex(RSA3_E)) === null).toBe(true);
    expect<bool>(RsaPublicKey.fromBytes(fromHex(RSA3_N), fromHex(RSA3_E), 2047) === null).toBe(false);
    expect<bool>(RsaPublicKey.fromBytes(fromHex(RSA3_N), fromHex(RSA3_E), 2048) === null).toBe(true);
    const key = rsa(RSA3_N, RSA3_E, 1024);
    expect<i32>(key.bits).toBe(2047);
    expect<i32>(key.byteLength).toBe(256);
    expect<bool>(key.verifyPkcs1(HashAlgorithm.Sha384, MSG, fromHex(RSA3_PKCS1_SHA384))).toBe(true);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha384, MSG, fromHex(RSA3_PSS_SHA384))).toBe(true);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha384, pattern(3), fromHex(RSA3_PSS_SHA384))).toBe(false);
  });

  it("verifies SHA-512 PKCS#1 v1.5 with the smallest modulus that holds it (752 bits)", () => {
    const key = rsa(RSA4_N, RSA4_E, 512);
    expect<i32>(key.bits).toBe(752);
    expect<bool>(key.verifyPkcs1(HashAlgorithm.Sha512, MSG, fromHex(RSA4_PKCS1_SHA512))).toBe(true);
    expect<bool>(key.verifyPkcs1(HashAlgorithm.Sha512, pattern(1), fromHex(RSA4_PKCS1_SHA512))).toBe(false);
    // PSS over SHA-512 needs 64 + 64 + 2 bytes of encoding: 94 is too few for any signature.
    expect<bool>(key.verifyPss(HashAlgorithm.Sha512, MSG, fromHex(RSA4_PKCS1_SHA512))).toBe(false);
  });

  it("verifies with the exponent 2^32 - 1 (every bit of it set)", () => {
    const key = rsa(RSA5_N, RSA5_E, 1024);
    expect<bool>(key.verifyPkcs1(HashAlgorithm.Sha256, MSG, fromHex(RSA5_PKCS1_SHA256))).toBe(true);
    expect<bool>(key.verifyPkcs1(HashAlgorithm.Sha256, pattern(101), fromHex(RSA5_PKCS1_SHA256))).toBe(false);
  });

  it("verifies with a 4096-bit key, and with leading zeros before the modulus and exponent", () => {
    const key = rsa(RSA6_N, RSA6_E);
    expect<i32>(key.bits).toBe(4096);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha512, MSG, fromHex(RSA6_PSS_SHA512))).toBe(true);
    const padded = rsa("0000" + RSA1_N, "000000" + RSA1_E);
    expect<i32>(padded.bits).toBe(2048);
    expect<bool>(padded.verifyPkcs1(HashAlgorithm.Sha256, MSG, fromHex(RSA1_PKCS1[0]))).toBe(true);
  });

  it("refuses signatures of another length, and the modulus itself or above it", () => {
    const key = key1();
    const sig = fromHex(RSA1_PKCS1[0]);
    expect<bool>(key.verifyPkcs1(HashAlgorithm.Sha256, MSG, prefixed(0, sig))).toBe(false);
    expect<bool>(key.verifyPkcs1(HashAlgorithm.Sha256, MSG, sig.slice(1))).toBe(false);
    expect<bool>(key.verifyPkcs1(HashAlgorithm.Sha256, MSG, fromHex(RSA1_N))).toBe(false);
    expect<bool>(key.verifyPss(HashAlgorithm.Sha256, MSG, fromHex(RSA1_N))).toBe(false);
    const above = flipped(fromHex(RSA1_N), 255, 2);
    expect<bool>(key.verifyPkcs1(HashAlgorithm.Sha256, MSG, above)).toBe(false);
    // Still usable after refusals.
    expect<bool>(key.verifyPkcs1(HashAlgorithm.Sha256, MSG, sig)).toBe(true);
  });

  it("refuses unusable keys", () => {
    const n = fromHex(RSA1_N);
    const e = fromHex(RSA1_E);
    expect<bool>(RsaPublicKey.fromBytes(new ArrayBuffer(0), e) === null).toBe(true);
    expect<bool>(RsaPublicKey.fromBytes(new ArrayBuffer(300), e) === null).toBe(true);
    expect<bool>(RsaPublicKey.fromBytes(flipped(n, 255, 1), e) === null).toBe(true); // even
    expect<bool>(RsaPublicKey.fromBytes(n, fromHex("010000")) === null).toBe(true); // even
    expect<bool>(RsaPublicKey.fromBytes(n, fromHex("01")) === null).toBe(true);
    expect<bool>(RsaPublicKey.fromBytes(n, fromHex("02")) === null).toBe(true);
    expect<bool>(RsaPublicKey.fromBytes(n, fromHex("03")) === null).toBe(false);
    expect<bool>(RsaPublicKey.fromBytes(n, new ArrayBuffer(0)) === null).toBe(true);
    expect<bool>(RsaPublicKey.fromBytes(n, fromHex("010000000000000001")) === null).toBe(true); // 9 bytes
    expect<bool>(RsaPublicKey.fromBytes(n, fromHex("010000000000010001")) === null).toBe(true); // 2^64 + 65537
    expect<bool>(RsaPublicKey.fromBytes(n, fromHex("0000000000000000000001")) === null).toBe(true); // 1, zeros first
    expect<bool>(RsaPublicKey.fromBytes(n, fromHex("00ff00000000000001")) === null).toBe(false); // 8 bytes after a zero
    // 8193 bits is over the limit (8192, the limit itself, is in rsa-limits.spec.ts).
    const big = new ArrayBuffer(1025);
    store<u8>(changetype<usize>(big), 1);
    store<u8>(changetype<usize>(big) + 1024, 1);
    expect<bool>(RsaPublicKey.fromBytes(big, e) === null).toBe(true);
  });
});

function ec(curve: EcCurve, x: string, y: string): EcdsaPublicKey {
  const key = EcdsaPublicKey.fromBytes(curve, fromHex(x), fromHex(y));
  expect<bool>(key === null).toBe(false);
  return key!;
}

describe("ECDSA known answers", () => {
  it("verifies node's P-256 signatures over SHA-256 and SHA-512 (its digest cut to 32 bytes)", () => {
    const key = ec(EcCurve.P256, EC256_X, EC256_Y);
    expect<i32>(key.byteLength).toBe(32);
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, fromHex(EC256_SIGS[0]))).toBe(true);
    expect<bool>(key.verify(HashAlgorithm.Sha512, MSG, fromHex(EC256_SIGS[1]))).toBe(true);
    expect<bool>(key.verify(HashAlgorithm.Sha512, MSG, fromHex(EC256_SIGS[0]))).toBe(false);
    expect<bool>(key.verify(HashAlgorithm.Sha256, pattern(99), fromHex(EC256_SIGS[0]))).toBe(false);
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, flipped(fromHex(EC256_SIGS[0]), 31))).toBe(false);
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, flipped(fromHex(EC256_SIGS[0]), 40))).toBe(false);
  });

  it("verifies node's P-384 signatures over SHA-384 and SHA-256 (a digest shorter than the curve)", () => {
    const key = ec(EcCurve.P384, EC384_X, EC384_Y);
    expect<i32>(key.byteLength).toBe(48);
    expect<bool>(key.verify(HashAlgorithm.Sha384, MSG, fromHex(EC384_SIGS[0]))).toBe(true);
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, fromHex(EC384_SIGS[1]))).toBe(true);
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, fromHex(EC384_SIGS[0]))).toBe(false);
    expect<bool>(key.verify(HashAlgorithm.Sha384, MSG, flipped(fromHex(EC384_SIGS[0]), 0))).toBe(false);
    expect<bool>(key.verify(HashAlgorithm.Sha384, MSG, flipped(fromHex(EC384_SIGS[0]), 95))).toBe(false);
  });

  it("verifies with the public keys G, -G and 2G (doubling and infinity inside the table)", () => {
    expect<bool>(ec(EcCurve.P256, EC256_G_X, EC256_G_Y).verify(HashAlgorithm.Sha256, MSG, fromHex(EC256_G_SIG))).toBe(true);
    expect<bool>(ec(EcCurve.P256, EC256_MINUS_G_X, EC256_MINUS_G_Y).verify(HashAlgorithm.Sha256, MSG, fromHex(EC256_MINUS_G_SIG))).toBe(true);
    expect<bool>(ec(EcCurve.P256, EC256_TWO_G_X, EC256_TWO_G_Y).verify(HashAlgorithm.Sha256, MSG, fromHex(EC256_TWO_G_SIG))).toBe(true);
    expect<bool>(ec(EcCurve.P384, EC384_G_X, EC384_G_Y).verify(HashAlgorithm.Sha384, MSG, fromHex(EC384_G_SIG))).toBe(true);
    expect<bool>(ec(EcCurve.P384, EC384_MINUS_G_X, EC384_MINUS_G_Y).verify(HashAlgorithm.Sha384, MSG, fromHex(EC384_MINUS_G_SIG))).toBe(true);
    expect<bool>(ec(EcCurve.P384, EC384_TWO_G_X, EC384_TWO_G_Y).verify(HashAlgorithm.Sha384, MSG, fromHex(EC384_TWO_G_SIG))).toBe(true);
    expect<bool>(ec(EcCurve.P256, EC256_G_X, EC256_G_Y).verify(HashAlgorithm.Sha256, MSG, fromHex(EC256_TWO_G_SIG))).toBe(false);
    expect<bool>(ec(EcCurve.P256, EC256_TWO_G_X, EC256_TWO_G_Y).verify(HashAlgorithm.Sha256, MSG, fromHex(EC256_G_SIG))).toBe(false);
  });

  it("reduces x mod n: a point whose x is at least n verifies r = x - n", () => {
    const k256 = ec(EcCurve.P256, EC256_HIGHX_X, EC256_HIGHX_Y);
    const d256 = fromHex(EC256_HIGHX_DIGEST);
    expect<bool>(k256.verifyDigest(changetype<usize>(d256), 32, fromHex(EC256_HIGHX_SIG))).toBe(true);
    expect<bool>(k256.verifyDigest(changetype<usize>(d256), 32, flipped(fromHex(EC256_HIGHX_SIG), 31))).toBe(false);
    const k384 = ec(EcCurve.P384, EC384_HIGHX_X, EC384_HIGHX_Y);
    const d384 = fromHex(EC384_HIGHX_DIGEST);
    expect<bool>(k384.verifyDigest(changetype<usize>(d384), 48, fromHex(EC384_HIGHX_SIG))).toBe(true);
    // A digest longer than the curve: only its leftmost bytes count.
    const longer = new ArrayBuffer(64);
    memory.copy(changetype<usize>(longer), changetype<usize>(d384), 48);
    store<u8>(changetype<usize>(longer) + 50, 0xff);
    expect<bool>(k384.verifyDigest(changetype<usize>(longer), 64, fromHex(EC384_HIGHX_SIG))).toBe(true);
    expect<bool>(k384.verifyDigest(changetype<usize>(longer), 47, fromHex(EC384_HIGHX_SIG))).toBe(false);
  });

  it("refuses r or s of zero, of n or above, and signatures of another length", () => {
    const key = ec(EcCurve.P256, EC256_X, EC256_Y);
    const sig = fromHex(EC256_SIGS[0]);
    const r = EC256_SIGS[0].substring(0, 64);
    const s = EC256_SIGS[0].substring(64);
    const zero = "0".repeat(64);
    const n = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, fromHex(zero + s))).toBe(false);
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, fromHex(r + zero))).toBe(false);
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, fromHex(n + s))).toBe(false);
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, fromHex(r + n))).toBe(false);
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, fromHex("f" + n.substring(1) + s))).toBe(false);
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, sig.slice(1))).toBe(false);
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, prefixed(0, sig))).toBe(false);
    expect<bool>(key.verify(HashAlgorithm.Sha256, MSG, sig)).toBe(true);
  });

  it("refuses points off the curve, coordinates of p or above, and the wrong size", () => {
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P256, fromHex(EC256_X), flipped(fromHex(EC256_Y), 31)) === null).toBe(true);
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P256, flipped(fromHex(EC256_X), 0), fromHex(EC256_Y)) === null).toBe(true);
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P384, fromHex(EC384_X), flipped(fromHex(EC384_Y), 47)) === null).toBe(true);
    const p = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P256, fromHex(p), fromHex(EC256_Y)) === null).toBe(true);
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P256, fromHex(EC256_X), fromHex(p)) === null).toBe(true);
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P256, fromHex(EC256_X).slice(1), fromHex(EC256_Y)) === null).toBe(true);
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P256, fromHex(EC256_X), fromHex(EC256_Y).slice(1)) === null).toBe(true);
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P384, fromHex(EC256_X), fromHex(EC256_Y)) === null).toBe(true);
    // -G is on the curve (the same x, p - y); a y of p - y + 1 is not.
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P256, fromHex(EC256_MINUS_G_X), fromHex(EC256_MINUS_G_Y)) === null).toBe(false);
  });
});

describe("ECDSA edges", () => {
  it("accepts (0, sqrt(b)), on the curve, and refuses its x spelled as p", () => {
    const sqrtB256 = "66485c780e2f83d72433bd5d84a06bb6541c2af31dae871728bf856a174f93f4";
    const p256 = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P256, new ArrayBuffer(32), fromHex(sqrtB256)) === null).toBe(false);
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P256, fromHex(p256), fromHex(sqrtB256)) === null).toBe(true);
    const sqrtB384 =
      "c306610fb0ae5a159cf45c06069f22a6c5eb3641c602d42dea2c4b4f75550793406d80d2b91ad54f9048bd487af1ade1";
    const p384 =
      "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff";
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P384, new ArrayBuffer(48), fromHex(sqrtB384)) === null).toBe(false);
    expect<bool>(EcdsaPublicKey.fromBytes(EcCurve.P384, fromHex(p384), fromHex(sqrtB384)) === null).toBe(true);
  });

  it("reads a digest at an address exactly, whatever byte comes before it", () => {
    const key = ec(EcCurve.P384, EC384_X, EC384_Y);
    // SHA-256 of the message, 32 bytes for a 48-byte curve, after a byte of 0xff.
    const buffer = new ArrayBuffer(33);
    store<u8>(changetype<usize>(buffer), 0xff);
    const digest = sha256(MSG);
    memory.copy(changetype<usize>(buffer) + 1, changetype<usize>(digest), 32);
    expect<bool>(key.verifyDigest(changetype<usize>(buffer) + 1, 32, fromHex(EC384_SIGS[1]))).toBe(true);
    expect<bool>(key.verifyDigest(changetype<usize>(buffer), 32, fromHex(EC384_SIGS[1]))).toBe(false);
  });

  it("refuses when u1 G + u2 Q is the point at infinity (Q = G, digest = n - r)", () => {
    const key = ec(EcCurve.P256, EC256_G_X, EC256_G_Y);
    // r = 1, s = 1: u1 = e = n - 1 and u2 = 1, so the sum is (n - 1) G + G = O.
    const digest = fromHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550");
    const rs = fromHex("0".repeat(63) + "1" + "0".repeat(63) + "1");
    expect<bool>(key.verifyDigest(changetype<usize>(digest), 32, rs)).toBe(false);
  });
});

describe("DER encodings", () => {
  it("writes the SubjectPublicKeyInfo node exports for RSA keys of 752, 2048 and 4096 bits", () => {
    expect<string>(hex(rsaSpkiDer(fromHex(RSA4_N), fromHex(RSA4_E)))).toBe(RSA4_SPKI);
    expect<string>(hex(rsaSpkiDer(fromHex(RSA1_N), fromHex(RSA1_E)))).toBe(RSA1_SPKI);
    expect<string>(hex(rsaSpkiDer(fromHex(RSA6_N), fromHex(RSA6_E)))).toBe(RSA6_SPKI);
    // Leading zeros are dropped, and an empty exponent is the INTEGER 0.
    expect<string>(hex(rsaSpkiDer(fromHex("0000" + RSA1_N), fromHex("00" + RSA1_E)))).toBe(RSA1_SPKI);
    expect<bool>(hex(rsaSpkiDer(fromHex(RSA1_N), new ArrayBuffer(0))).endsWith("020100")).toBe(true);
  });

  it("writes the SubjectPublicKeyInfo node exports for P-256 and P-384 keys", () => {
    expect<string>(hex(ecSpkiDer(EcCurve.P256, fromHex(EC256_X), fromHex(EC256_Y))!)).toBe(EC256_SPKI);
    expect<string>(hex(ecSpkiDer(EcCurve.P384, fromHex(EC384_X), fromHex(EC384_Y))!)).toBe(EC384_SPKI);
    expect<bool>(ecSpkiDer(EcCurve.P256, fromHex(EC384_X), fromHex(EC256_Y)) === null).toBe(true);
    expect<bool>(ecSpkiDer(EcCurve.P256, fromHex(EC256_X), fromHex(EC384_Y)) === null).toBe(true);
    expect<bool>(ecSpkiDer(EcCurve.P384, fromHex(EC256_X), fromHex(EC256_Y)) === null).toBe(true);
  });

  it("turns r || s into the DER node verifies", () => {
    expect<string>(hex(ecdsaSignatureDer(fromHex(EC256_SIGS[0]))!)).toBe(EC256_SIGS_DER[0]);
    expect<string>(hex(ecdsaSignatureDer(fromHex(EC256_SIGS[1]))!)).toBe(EC256_SIGS_DER[1]);
    expect<string>(hex(ecdsaSignatureDer(fromHex(EC384_SIGS[0]))!)).toBe(EC384_SIGS_DER[0]);
    expect<string>(hex(ecdsaSignatureDer(fromHex(EC384_SIGS[1]))!)).toBe(EC384_SIGS_DER[1]);
  });

  it("writes the smallest INTEGER: zeros dropped, one kept, a zero before a high bit", () => {
    expect<string>(hex(ecdsaSignatureDer(fromHex("00010080"))!)).toBe("3007020101020200" + "80");
    expect<string>(hex(ecdsaSignatureDer(fromHex("00007f00"))!)).toBe("30070201000202" + "7f00");
    expect<string>(hex(ecdsaSignatureDer(fromHex("0000"))!)).toBe("3006020100020100");
    expect<string>(hex(ecdsaSignatureDer(fromHex("8000"))!)).toBe("30070202008002" + "0100");
    expect<bool>(ecdsaSignatureDer(new ArrayBuffer(0)) === null).toBe(true);
    expect<bool>(ecdsaSignatureDer(new ArrayBuffer(3)) === null).toBe(true);
  });

  it("writes lengths in one, two and three bytes at 0x80, 0x100 and 0x10000", () => {
    const cases: i32[] = [0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000];
    const heads: string[] = ["027f", "028180", "0281ff", "02820100", "0282ffff", "0283010000"];
    for (let i = 0; i < cases.length; i++) {
      const half = cases[i];
      const rs = new ArrayBuffer(half * 2);
      memory.fill(changetype<usize>(rs), 0x11, <usize>(half * 2));
      const der = ecdsaSignatureDer(rs)!;
      const body = 2 * (heads[i].length / 2 + half);
      const total = body < 0x80 ? 2 + body : body < 0x100 ? 3 + body : body < 0x10000 ? 4 + body : 5 + body;
      expect<i32>(der.byteLength).toBe(total);
      const at = total - body;
      expect<string>(hex(der.slice(at, at + heads[i].length / 2))).toBe(heads[i]);
      expect<u8>(load<u8>(changetype<usize>(der) + <usize>(total - 1))).toBe(0x11);
    }
    const rs = new ArrayBuffer(0x20000);
    memory.fill(changetype<usize>(rs), 0x11, 0x20000);
    expect<string>(hex(ecdsaSignatureDer(rs)!.slice(0, 10))).toBe("308302000a0283010000");
  });
});
