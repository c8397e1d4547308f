/** mulberry32 for seeded fuzzing: the one the server's fault injection uses (src/respond/random.ts). Floats in [0, 1). */
export { seededRandom as rng } from "../../src/respond/random.ts";
