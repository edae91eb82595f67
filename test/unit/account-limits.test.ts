// The in-memory account limits, held to the same contract as the DynamoDB store.
import { accountLimitsContract } from "../support/account-limits-contract.js";
import { InMemoryJobStore } from "./fakes.js";
import { InMemoryAccountLimits } from "./limit-fakes.js";
import { InMemoryPolicyStore } from "./policy-fakes.js";

accountLimitsContract("the in-memory account limits", async () => {
  const jobs = new InMemoryJobStore();
  const policies = new InMemoryPolicyStore();
  return { limits: new InMemoryAccountLimits(jobs, policies), jobs, policies };
});
