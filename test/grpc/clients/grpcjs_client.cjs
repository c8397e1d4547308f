// One unary call with @grpc/grpc-js as a generic client (identity serializers, no generated code):
//   node|bun grpcjs_client.cjs TARGET PATH REQUEST_HEX
// prints {"code": N, "details": "...", "hex": "..."} (hex only on OK) and exits 0 whenever the call got a status.
const grpc = require("@grpc/grpc-js");
const [target, path, hex] = process.argv.slice(2);
const client = new grpc.Client(target, grpc.credentials.createInsecure());
const identity = (b) => b;
client.makeUnaryRequest(path, identity, identity, Buffer.from(hex, "hex"), new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, reply) => {
  const out = err ? { code: err.code, details: err.details } : { code: 0, details: null, hex: Buffer.from(reply).toString("hex") };
  console.log(JSON.stringify(out));
  client.close();
});
