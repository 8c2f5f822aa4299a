// Pulumi component that turns one multi-stage Dockerfile into the right image per environment and pushes it to Amazon ECR, pinned by digest.
package multistage
