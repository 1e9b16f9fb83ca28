/**
 * Helpers shared by GradGuard's own packages. Public only because Java packages cannot share
 * otherwise: not API, no compatibility promise, and no engine module uses it.
 */
package io.gradguard.internal;
