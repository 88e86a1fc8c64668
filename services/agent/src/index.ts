export { startAgent, AgentConfigError, type Agent, type AgentDeps, type AgentStats } from './agent.js';
export { resolveIdentity, IdentityError, type AgentIdentity, type IdentityInputs } from './identity.js';
export { agentConnectionOptions, agentInboxPrefix } from './publish/nats-link.js';
export { NvidiaSmiMissingError } from './collectors/nvidia-smi/collector.js';
export type { Collector, CollectorFacts, CollectorStats } from './collectors/collector.js';
export { runAgentCommand } from './main.js';
