import assert from "node:assert/strict";
import { NvmlError, nvmlErrorName, nvmlErrorText, NvmlReturn } from "../../src/nvml/mod.ts";
import { checkNvml } from "../../src/nvml/errors.ts";

Deno.test("nvmlErrorName() gives nvml.h names", () => {
  assert.equal(nvmlErrorName(0), "NVML_SUCCESS");
  assert.equal(nvmlErrorName(15), "NVML_ERROR_GPU_IS_LOST");
  assert.equal(nvmlErrorName(999), "NVML_ERROR_UNKNOWN");
  assert.equal(nvmlErrorName(4242), "NVML_ERROR_4242");
});

Deno.test("nvmlErrorText() describes known and unknown codes", () => {
  assert.equal(nvmlErrorText(3), "Not supported by this device");
  assert.equal(nvmlErrorText(4242), "Unknown NVML return code 4242");
});

Deno.test("NvmlError carries the code and a readable name", () => {
  const err = new NvmlError("wait for NVML events", NvmlReturn.GPU_IS_LOST);
  assert.ok(err instanceof Error);
  assert.equal(err.code, 15);
  assert.equal(err.name, "NVML_ERROR_GPU_IS_LOST");
  assert.equal(err.message, "Cannot wait for NVML events: GPU is lost (NVML_ERROR_GPU_IS_LOST)");
});

Deno.test("checkNvml() throws NvmlError unless the call succeeded", () => {
  checkNvml(0, "count GPUs");
  assert.throws(() => checkNvml(9, "initialize NVML"), (err: unknown) => {
    assert.ok(err instanceof NvmlError);
    assert.equal(err.code, NvmlReturn.DRIVER_NOT_LOADED);
    return true;
  });
});
