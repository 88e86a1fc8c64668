/**
 * Anything that keeps state per dense GPU id. When the GpuRegistry forgets a GPU (reclaimIdle), it calls every owner
 * added to it, then frees the id for the next new GPU: an owner must leave nothing of the forgotten GPU behind that the
 * id's next holder could inherit. During the call the registry still answers for the id (clusterOf, hostOf, …).
 */
export interface GpuStateOwner {
  forgetGpu(gpuId: number): void;
}
