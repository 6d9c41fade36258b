package deploy

// imageUID is the user the image runs as (deploy/image.mk, Containerfile).
const imageUID = 65532
