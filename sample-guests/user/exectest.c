/*
 * exectest.c - the target of usertests' exec test: checks its argv and
 * exits with the number given as argv[1].  Runs: ring 3.
 */
#include "../../bench/progs/lib/ulib.h"

int main(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[0], "exectest") != 0)
		return 99;
	return atoi(argv[1]);
}
