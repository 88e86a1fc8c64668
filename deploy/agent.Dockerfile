# The agent's image, which deploy/k8s/agent-daemonset.yaml runs on every GPU node: Node.js and the one-file agent
# (services/agent/dist/bundle/kiln-agent.mjs, every dependency inlined), nothing else. From the repository root:
#   npm ci && npm run build
#   docker build -f deploy/agent.Dockerfile -t registry.example.net/kiln/agent:0.1.0 .
# nvidia-smi is not in the image: the NVIDIA container runtime injects it with the driver's libraries.
FROM node:20.20.2-bookworm-slim
# The DaemonSet's runAsUser; numeric, so that runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 kiln-agent && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin kiln-agent
WORKDIR /opt/kiln-agent
COPY services/agent/dist/bundle/kiln-agent.mjs ./
USER 10001:10001
ENV NODE_ENV=production
ENTRYPOINT ["node", "/opt/kiln-agent/kiln-agent.mjs"]
CMD ["--config", "/etc/kiln/agent.yaml"]
