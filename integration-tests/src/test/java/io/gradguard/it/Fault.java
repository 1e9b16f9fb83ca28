package io.gradguard.it;

/**
 * One planted fault.
 *
 * @param type what is planted
 * @param parameter which trainable parameter (modulo their count) for gradient faults
 * @param element which element (modulo the parameter's size) for gradient faults
 */
record Fault(FaultClass type, int parameter, long element) {}
