/**
 * Helpers shared by GradGuard's own packages. Public only because Java packages cannot share
 * otherwise: not API, no compatibility promise, and only GradGuard's own modules use it (no engine
 * module does).
 */
package io.gradguard.internal;
