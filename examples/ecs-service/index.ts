/**
 * The node-service image on ECS Fargate: dev stack runs the dev target, production
 * the final stage; the task definition always references the image by digest.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage, toEcsContainerDefinition } from "../../src";
import { settings } from "../node-service/settings";

const config = new pulumi.Config();
const subnetIds = config.requireObject<string[]>("subnetIds");

const executionRole = new aws.iam.Role("api-execution", {
  assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "ecs-tasks.amazonaws.com" }),
});
new aws.iam.RolePolicyAttachment("api-execution", {
  role: executionRole.name,
  policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
});

const image = new MultiStageImage("api", {
  ...settings.args,
  // The task execution role pulls the image.
  repository: { pullAccess: { principals: config.getObject<string[]>("pullPrincipals") ?? [] } },
});

const logGroup = new aws.cloudwatch.LogGroup("api", { retentionInDays: config.getNumber("logRetentionDays") ?? 14 });
const containerDefinitions = pulumi
  .all([logGroup.name, aws.getRegionOutput().region])
  .apply(([group, region]) =>
    toEcsContainerDefinition(image, {
      name: "api",
      ports: [{ containerPort: 3000, name: "http" }],
      environment: { PORT: "3000" },
      logConfiguration: {
        logDriver: "awslogs",
        options: { "awslogs-group": group, "awslogs-region": region, "awslogs-stream-prefix": "api" },
      },
    }),
  )
  .apply((container) => JSON.stringify([container]));

const taskDefinition = new aws.ecs.TaskDefinition("api", {
  family: pulumi.interpolate`api-${image.environment}`,
  cpu: config.get("cpu") ?? "256",
  memory: config.get("memory") ?? "512",
  networkMode: "awsvpc",
  requiresCompatibilities: ["FARGATE"],
  executionRoleArn: executionRole.arn,
  containerDefinitions,
});

const cluster = new aws.ecs.Cluster("api");
const service = new aws.ecs.Service("api", {
  cluster: cluster.arn,
  taskDefinition: taskDefinition.arn,
  desiredCount: config.getNumber("desiredCount") ?? 1,
  launchType: "FARGATE",
  networkConfiguration: { subnets: subnetIds, assignPublicIp: config.getBoolean("assignPublicIp") ?? false },
});

export const imageUri = image.imageUri;
export const target = image.target;
export const taskDefinitionArn = taskDefinition.arn;
export const serviceName = service.name;
