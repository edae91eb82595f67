// The in-memory sessions, held to the same contract as the DynamoDB store.
import { sessionStoreContract } from "../support/session-store-contract.js";
import { InMemorySessionStore } from "./sign-in-fakes.js";

sessionStoreContract("the in-memory session store", async () => new InMemorySessionStore());
