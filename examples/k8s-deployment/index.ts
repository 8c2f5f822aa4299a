/**
 * The node-service image as a Kubernetes Deployment (e.g. on EKS): dev stack runs
 * the dev target, production the final stage, always pinned by digest.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage, toKubernetesContainer } from "../../src";
import { settings } from "../node-service/settings";

const config = new pulumi.Config();

const image = new MultiStageImage("web", {
  ...settings.args,
  // EKS worker nodes pull with their node role.
  repository: { pullAccess: { principals: config.getObject<string[]>("nodeRoleArns") ?? [] } },
});

const labels = { app: "web" };
const container = toKubernetesContainer(image, {
  name: "web",
  ports: [{ containerPort: 3000, name: "http" }],
  env: { PORT: "3000" },
  resources: { requests: { cpu: config.get("cpu") ?? "100m", memory: config.get("memory") ?? "128Mi" } },
  readinessProbe: { httpGet: { path: "/healthz", port: "http" } },
  securityContext: { runAsNonRoot: true, runAsUser: 65534, allowPrivilegeEscalation: false },
});

const deployment = new k8s.apps.v1.Deployment("web", {
  metadata: { namespace: config.get("namespace") ?? "default", labels },
  spec: {
    replicas: config.getNumber("replicas") ?? 1,
    selector: { matchLabels: labels },
    template: { metadata: { labels }, spec: { containers: [container] } },
  },
});

export const imageUri = image.imageUri;
export const target = image.target;
export const deploymentName = deployment.metadata.name;
