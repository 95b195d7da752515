"""A restaurant's photos: uploads checked by decoding them (`images`), the reference the
database keeps (`reference`), the folder or S3 store of the renditions (`storage`), and
storing, discarding and showing them (`photos`)."""
