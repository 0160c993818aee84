import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An expected business or validation failure of a mutation.' })
export class UserError {
  @Field(() => [String], { description: 'Path to the input field at fault, e.g. ["input", "amount"].' })
  field!: string[];
  @Field() message!: string;
  @Field({ description: 'Machine-readable code, e.g. invalid_request or payment_unexpected_state.' })
  code!: string;
}
