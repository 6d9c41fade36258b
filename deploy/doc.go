// Package deploy holds how palette-worker ships: the container image
// (Containerfile, built by make image through image.mk) and the Kubernetes
// manifests (kubernetes/, applied with kubectl apply -k). It has no code of
// its own; its tests run the image against a Kafka-protocol broker and an
// S3 server, and check the manifests against the Kubernetes API types and
// the worker's flags.
package deploy
