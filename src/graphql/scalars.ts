import { GraphQLSafeInt, GraphQLJSONObject } from 'graphql-scalars';

/**
 * Amounts in minor units and Unix timestamps: integers up to 2^53 − 1. GraphQL's Int is 32-bit,
 * which would overflow at €21,474,836.47.
 */
export const SafeInt = GraphQLSafeInt;
/** Merchant metadata: a JSON object with values of any JSON type. */
export const JSONObject = GraphQLJSONObject;
