// Package demo builds the demo data of PRODUCT.md §5: the seed's stories
// (Bellows College, Contoso) among thousands of other directories.
package demo
